#ifndef RBM_PHILOX_BERNOULLI_H
#define RBM_PHILOX_BERNOULLI_H

#include <stdint.h>

/// Bernoulli draws from Philox4x32-10 for `groups` whole groups of 32 units, the layout of
/// `RandomStream.bernoulli` (Philox.swift): group g (counted from `first_group`) runs eight
/// Philox blocks with counters (8·g + lane, word1, word2, word3), lane < 8, under the key
/// (key0, key1); output word w of lane l is unit 32·g + 8·w + l, whose uniform is
/// (word >> 8)·2⁻²⁴, and output[u] = uniform < probabilities[u] ? 1 : 0. `output` may be
/// `probabilities`. Integer arithmetic and one exact conversion: the same bits as the Swift code.
///
/// Returns 1 when it drew (an AVX2 CPU; pairs of groups on AVX-512), 0 when the caller must
/// (nothing written).
int rbm_philox_bernoulli_groups(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                                long first_group, long groups, const float *probabilities, float *output);

/// Uniforms (word >> 8)·2⁻²⁴ of the same layout for `groups` whole groups of 32 units (unit
/// 32·g + 8·w + l from output word w of lane l): `RandomStream.uniforms` (Philox.swift), the
/// same bits. Returns 1 when it drew (an AVX2 CPU), 0 when the caller must (nothing written).
int rbm_philox_uniform_groups(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                              long first_group, long groups, float *output);

/// "avx512", "avx2" or "portable" (the caller's Swift code): who draws whole groups here.
const char *rbm_philox_bernoulli_path(void);

/// For tests: 1 keeps the AVX2 kernel even where AVX-512 is available, 0 the CPU's best.
void rbm_philox_bernoulli_avx2_only(int only);

#endif
