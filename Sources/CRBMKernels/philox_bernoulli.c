// Philox4x32-10 Bernoulli draws, eight counters per AVX2 vector (see philox_bernoulli.h).
//
// Each round maps (c0, c1, c2, c3) under the key (k0, k1) to
//   (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)),
// with the 32×32 → 64-bit products M0·c0 and M1·c2, and the key bumped by the Weyl constants
// before every round but the first (Salmon et al. 2011; Philox4x32.blocks8 in Philox.swift).
#include "philox_bernoulli.h"

#include <pthread.h>

#if defined(__x86_64__)
#include <immintrin.h>

static int cpu_avx2 = 0;
static pthread_once_t detected = PTHREAD_ONCE_INIT;

static void detect(void) {
    __builtin_cpu_init();
    cpu_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
}

/// The high and low 32 bits of the eight products multiplier · x (unsigned).
__attribute__((target("avx2"), always_inline))
static inline void multiply_wide(__m256i x, __m256i multiplier, __m256i *high, __m256i *low) {
    __m256i even = _mm256_mul_epu32(x, multiplier);                        // lanes 0, 2, 4, 6
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), multiplier);  // lanes 1, 3, 5, 7
    *high = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    *low = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/// output[0..<8] = uniform(word) < probabilities[0..<8] ? 1 : 0.
__attribute__((target("avx2"), always_inline))
static inline void draw(__m256i word, const float *probabilities, float *output) {
    const __m256 scale = _mm256_set1_ps(0x1p-24f);
    __m256 uniform = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(word, 8)), scale);
    __m256 p = _mm256_loadu_ps(probabilities);
    _mm256_storeu_ps(output, _mm256_and_ps(_mm256_cmp_ps(uniform, p, _CMP_LT_OQ), _mm256_set1_ps(1.0f)));
}

__attribute__((target("avx2")))
static void groups_avx2(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                        long first_group, long groups, const float *probabilities, float *output) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u), m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    for (long g = 0; g < groups; g++) {
        __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32((int)((uint32_t)(first_group + g) * 8u)), lanes);
        __m256i c1 = _mm256_set1_epi32((int)word1);
        __m256i c2 = _mm256_set1_epi32((int)word2);
        __m256i c3 = _mm256_set1_epi32((int)word3);
        uint32_t k0 = key0, k1 = key1;
        for (int round = 0; round < 10; round++) {
            if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
            __m256i high0, low0, high1, low1;
            multiply_wide(c0, m0, &high0, &low0);
            multiply_wide(c2, m1, &high1, &low1);
            c0 = _mm256_xor_si256(_mm256_xor_si256(high1, c1), _mm256_set1_epi32((int)k0));
            c1 = low1;
            c2 = _mm256_xor_si256(_mm256_xor_si256(high0, c3), _mm256_set1_epi32((int)k1));
            c3 = low0;
        }
        long base = 32 * g;
        draw(c0, probabilities + base, output + base);
        draw(c1, probabilities + base + 8, output + base + 8);
        draw(c2, probabilities + base + 16, output + base + 16);
        draw(c3, probabilities + base + 24, output + base + 24);
    }
}
#endif

int rbm_philox_bernoulli_groups(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                                long first_group, long groups, const float *probabilities, float *output) {
#if defined(__x86_64__)
    pthread_once(&detected, detect);
    if (!cpu_avx2) return 0;
    groups_avx2(key0, key1, word1, word2, word3, first_group, groups, probabilities, output);
    return 1;
#else
    (void)key0; (void)key1; (void)word1; (void)word2; (void)word3;
    (void)first_group; (void)groups; (void)probabilities; (void)output;
    return 0;
#endif
}
