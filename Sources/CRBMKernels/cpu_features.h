#ifndef RBM_CPU_FEATURES_H
#define RBM_CPU_FEATURES_H

// What this CPU runs, asked once per process (the kernels' own choice of path; not for Swift).

/// 1 when the CPU has AVX2.
int rbm_cpu_avx2(void);
/// 1 when it has AVX2 and FMA.
int rbm_cpu_avx2_fma(void);
/// 1 when it has AVX-512 F and DQ.
int rbm_cpu_avx512(void);

#endif
