// The hidden and visible terms of parallel tempering's swap log ratio (see tempering_swap.h),
// by the body in tempering_swap_lanes.h: 16 units at a time with AVX-512 where the CPU has it,
// then (and on AVX2 + FMA CPUs) 8 at a time. No bit-for-bit twin is needed: only the error
// bound matters to the caller, and every path keeps within it (TemperingSwapTests).

#include "tempering_swap.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define VEC __m256
#define COND __m256
#define LANES 8
#define NAME(x) x##_avx2
#define RBM_LANES_TARGET __attribute__((target("avx2,fma")))
#define RBM_LANES_INLINE __attribute__((target("avx2,fma"), always_inline))
#define SET1 _mm256_set1_ps
#define ZERO _mm256_setzero_ps
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define MUL _mm256_mul_ps
#define FMADD _mm256_fmadd_ps
#define FNMADD _mm256_fnmadd_ps
#define MAX _mm256_max_ps
#define LOADU _mm256_loadu_ps
#define STOREU _mm256_storeu_ps
#define ABS(x) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (x))
#define NEG_ABS(x) _mm256_or_ps((x), _mm256_set1_ps(-0.0f))
#define GREATER(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define SELECT(cond, then, otherwise) _mm256_blendv_ps((otherwise), (then), (cond))
#define ONES_WHERE(cond) _mm256_and_ps((cond), _mm256_set1_ps(1.0f))
#define EXP2_INT(shifted, magic)                                                                          \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                                               \
        _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic)),    \
                         _mm256_set1_epi32(127)), 23))
#define REDUCE reduce_avx2

RBM_LANES_INLINE
static inline float reduce_avx2(__m256 v) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 quarter = _mm_add_ps(half, _mm_movehl_ps(half, half));
    return _mm_cvtss_f32(_mm_add_ss(quarter, _mm_shuffle_ps(quarter, quarter, 1)));
}

#include "tempering_swap_lanes.h"

#undef VEC
#undef COND
#undef LANES
#undef NAME
#undef RBM_LANES_TARGET
#undef RBM_LANES_INLINE
#undef SET1
#undef ZERO
#undef ADD
#undef SUB
#undef MUL
#undef FMADD
#undef FNMADD
#undef MAX
#undef LOADU
#undef STOREU
#undef ABS
#undef NEG_ABS
#undef GREATER
#undef SELECT
#undef ONES_WHERE
#undef EXP2_INT
#undef REDUCE

#define VEC __m512
#define COND __mmask16
#define LANES 16
#define NAME(x) x##_avx512
#define RBM_LANES_TARGET __attribute__((target("avx512f,avx512dq")))
#define RBM_LANES_INLINE __attribute__((target("avx512f,avx512dq"), always_inline))
#define SET1 _mm512_set1_ps
#define ZERO _mm512_setzero_ps
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps
#define MUL _mm512_mul_ps
#define FMADD _mm512_fmadd_ps
#define FNMADD _mm512_fnmadd_ps
#define MAX _mm512_max_ps
#define LOADU _mm512_loadu_ps
#define STOREU _mm512_storeu_ps
#define ABS(x) _mm512_andnot_ps(_mm512_set1_ps(-0.0f), (x))
#define NEG_ABS(x) _mm512_or_ps((x), _mm512_set1_ps(-0.0f))
#define GREATER(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define SELECT(cond, then, otherwise) _mm512_mask_blend_ps((cond), (otherwise), (then))
#define ONES_WHERE(cond) _mm512_maskz_mov_ps((cond), _mm512_set1_ps(1.0f))
#define EXP2_INT(shifted, magic)                                                                          \
    _mm512_castsi512_ps(_mm512_slli_epi32(                                                               \
        _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(magic)),    \
                         _mm512_set1_epi32(127)), 23))
#define REDUCE _mm512_reduce_add_ps

#include "tempering_swap_lanes.h"

/// 1 to keep to the 8-lane kernels on an AVX-512 CPU, on this thread (tests: both widths keep
/// within the bound, without changing what other threads compute).
static _Thread_local int avx2_only = 0;
void rbm_swap_avx2_only(int only) { avx2_only = only; }

static int use_avx512(void) { return rbm_cpu_avx512() && !avx2_only; }
#else
void rbm_swap_avx2_only(int only) { (void)only; }
#endif

long rbm_swap_hidden_terms(const float *xs, const float *xt, const float *c, long count, float bs, float bt,
                           const float *own_first, float *own_second, float *crossed_second,
                           double *sum, double *magnitude) {
    *sum = 0;
    *magnitude = 0;
#if defined(__x86_64__)
    if (!rbm_cpu_avx2_fma()) return 0;
    long done = 0;
    if (use_avx512()) done = swap_terms_avx512(xs, xt, c, count, bs, bt, own_first, own_second, crossed_second,
                                               sum, magnitude);
    // The last 8 units (count mod 16 ≥ 8) or all of them: 8 lanes.
    double rest = 0, rest_magnitude = 0;
    done += swap_terms_avx2(xs + done, xt + done, c + done, count - done, bs, bt, own_first ? own_first + done : NULL,
                            own_second ? own_second + done : NULL, crossed_second ? crossed_second + done : NULL,
                            &rest, &rest_magnitude);
    *sum += rest;
    *magnitude += rest_magnitude;
    return done;
#else
    (void)xs; (void)xt; (void)c; (void)count; (void)bs; (void)bt; (void)own_first; (void)own_second; (void)crossed_second;
    return 0;
#endif
}

const char *rbm_swap_path(void) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2_fma()) return "portable";
    return use_avx512() ? "avx512" : "avx2";
#else
    return "portable";
#endif
}

long rbm_swap_visible_terms(const float *vs, const float *vt, const float *b, long count, double *sum, double *magnitude) {
    *sum = 0;
    *magnitude = 0;
#if defined(__x86_64__)
    if (!rbm_cpu_avx2_fma()) return 0;
    long done = 0;
    if (use_avx512()) done = visible_terms_avx512(vs, vt, b, count, sum, magnitude);
    double rest = 0, rest_magnitude = 0;
    done += visible_terms_avx2(vs + done, vt + done, b + done, count - done, &rest, &rest_magnitude);
    *sum += rest;
    *magnitude += rest_magnitude;
    return done;
#else
    (void)vs; (void)vt; (void)b; (void)count;
    return 0;
#endif
}
