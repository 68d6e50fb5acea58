#ifndef RBM_BINARY_PRODUCTS_H
#define RBM_BINARY_PRODUCTS_H

#include <stddef.h>

/// C = alpha · op(A) · B + beta · C (row-major, B not transposed) when every entry of A is
/// exactly 0 or 1 and at most `max_density` of them are 1: each row of the product is then a
/// sum of rows of B, taken in ascending order — or, for a row that differs from a reference
/// row (op(A)'s majority row, or the row of all ones) in at most ¾ as many columns as it has
/// ones, that reference's sum plus the rows it lacks and minus the rows it has beyond the row,
/// each in ascending order (which rows do so depends on op(A)'s values alone). Returns 1 when
/// it computed C; returns 0 and leaves C untouched when A has another value or is too dense.
///
/// `transpose_a`: A is stored k × m (rows `lda` floats apart) and used transposed.
/// With beta = 0, C is only written (a NaN in C does not leak).
/// The result is the same to the bit on every x86-64 CPU: the AVX2 path and the portable path
/// add the same numbers in the same order, without fused multiply-adds.
int rbm_binary_gemm(int transpose_a, long m, long n, long k, float alpha,
                    const float *a, long lda, const float *b, long ldb,
                    float beta, float *c, long ldc, float max_density);

/// The same product into the velocity Δ (C = Δ, rows `ldv` apart), followed element by element
/// by the rest of the momentum rule on the parameters θ (rows `ldp` apart):
/// Δ ← Δ − decay·θ, θ ← θ + Δ — in one pass instead of writing Δ and reading it back. The same
/// operations in the same order as `ParameterUpdate.decayAndApply` after `rbm_binary_gemm`.
/// Centred (all four vectors given; NULL: not), Δ_ij ← Δ_ij − alpha·(row_offsets_i·column_sums_j +
/// row_sums_i·column_offsets_j) comes first (μ_i·S_c_j + S_b_i·λ_j: centering's correction of the
/// weight statistic; each vector m or n long, from where C's rows and columns start).
/// Returns 0, touching neither, when the product does not go by sums of rows.
int rbm_binary_gemm_momentum(int transpose_a, long m, long n, long k, float alpha,
                             const float *a, long lda, const float *b, long ldb,
                             float beta, float *velocity, long ldv,
                             float *parameters, long ldp, float decay,
                             const float *row_offsets, const float *row_sums,
                             const float *column_sums, const float *column_offsets, float max_density);

/// Which path `rbm_binary_gemm` takes on this CPU: "avx2" or "portable".
const char *rbm_binary_gemm_path(void);

/// On the calling thread only: 0 to sum every row from 0 (no reference rows), 1 to use them,
/// -1 to follow the process (references on unless `RBM_BINARY_REFERENCES=off` is set): for
/// tests and comparisons.
void rbm_binary_gemm_use_references(int enabled);

/// Whether reference rows are in use on the calling thread.
int rbm_binary_gemm_uses_references(void);

/// For tests: 1 to force the portable path, 0 for the CPU's best.
void rbm_binary_gemm_force_portable(int force);

#endif
