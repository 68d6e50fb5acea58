// Philox4x32-10 Bernoulli draws, eight counters per AVX2 vector or sixteen per AVX-512 one
// (see philox_bernoulli.h).
//
// Each round maps (c0, c1, c2, c3) under the key (k0, k1) to
//   (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)),
// with the 32×32 → 64-bit products M0·c0 and M1·c2, and the key bumped by the Weyl constants
// before every round but the first (Salmon et al. 2011; Philox4x32.blocks8 in Philox.swift).
#include "philox_bernoulli.h"
#include "cpu_features.h"

/// 1 to keep to the AVX2 kernel on an AVX-512 CPU, on this thread (tests: both give the same
/// bits, without changing what other threads — other tests running at once — compute or report).
static _Thread_local int avx2_only = 0;

void rbm_philox_bernoulli_avx2_only(int only) { avx2_only = only; }

#if defined(__x86_64__)
#include <immintrin.h>

/// The high and low 32 bits of the eight products multiplier · x (unsigned).
__attribute__((target("avx2"), always_inline))
static inline void multiply_wide(__m256i x, __m256i multiplier, __m256i *high, __m256i *low) {
    __m256i even = _mm256_mul_epu32(x, multiplier);                        // lanes 0, 2, 4, 6
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), multiplier);  // lanes 1, 3, 5, 7
    *high = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    *low = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/// (word >> 8)·2⁻²⁴: the uniform in [0, 1) of each lane, exactly.
__attribute__((target("avx2"), always_inline))
static inline __m256 uniform8(__m256i word) {
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(word, 8)), _mm256_set1_ps(0x1p-24f));
}

/// output[0..<8] = uniform(word) < probabilities[0..<8] ? 1 : 0.
__attribute__((target("avx2"), always_inline))
static inline void draw(__m256i word, const float *probabilities, float *output) {
    __m256 p = _mm256_loadu_ps(probabilities);
    _mm256_storeu_ps(output, _mm256_and_ps(_mm256_cmp_ps(uniform8(word), p, _CMP_LT_OQ), _mm256_set1_ps(1.0f)));
}

/// The four output words of group g's eight Philox blocks (counters 8·g + lane, word1, word2,
/// word3 under the key): word w, lane l is unit 32·g + 8·w + l.
__attribute__((target("avx2"), always_inline))
static inline void philox_group(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                                long group, __m256i words[4]) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u), m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32((int)((uint32_t)group * 8u)), lanes);
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
    words[0] = c0; words[1] = c1; words[2] = c2; words[3] = c3;
}

__attribute__((target("avx2")))
static void groups_avx2(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                        long first_group, long groups, const float *probabilities, float *output) {
    for (long g = 0; g < groups; g++) {
        __m256i words[4];
        philox_group(key0, key1, word1, word2, word3, first_group + g, words);
        for (int w = 0; w < 4; w++) draw(words[w], probabilities + 32 * g + 8 * w, output + 32 * g + 8 * w);
    }
}

__attribute__((target("avx2")))
static void uniform_groups_avx2(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                                long first_group, long groups, float *output) {
    for (long g = 0; g < groups; g++) {
        __m256i words[4];
        philox_group(key0, key1, word1, word2, word3, first_group + g, words);
        for (int w = 0; w < 4; w++) _mm256_storeu_ps(output + 32 * g + 8 * w, uniform8(words[w]));
    }
}

/// The same for two groups at once: lanes 0–7 are group g's counters, lanes 8–15 group g + 1's.
__attribute__((target("avx512f,avx512dq"), always_inline))
static inline void multiply_wide16(__m512i x, __m512i multiplier, __m512i *high, __m512i *low) {
    __m512i even = _mm512_mul_epu32(x, multiplier);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), multiplier);
    *high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
    *low = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/// Draws for word `word` of both groups: lanes 0–7 are units 8·word + l of the first group (at
/// `probabilities`), lanes 8–15 the same units of the next group (32 floats further on).
__attribute__((target("avx512f,avx512dq"), always_inline))
static inline void draw16(__m512i word, const float *probabilities, float *output) {
    __m512 uniform = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(word, 8)), _mm512_set1_ps(0x1p-24f));
    __m512 p = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(probabilities)),
                                  _mm256_loadu_ps(probabilities + 32), 1);
    __m512 drawn = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(uniform, p, _CMP_LT_OQ), _mm512_set1_ps(1.0f));
    _mm256_storeu_ps(output, _mm512_castps512_ps256(drawn));
    _mm256_storeu_ps(output + 32, _mm512_extractf32x8_ps(drawn, 1));
}

__attribute__((target("avx512f,avx512dq")))
static long pairs_avx512(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                         long first_group, long groups, const float *probabilities, float *output) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    long g = 0;
    for (; g + 2 <= groups; g += 2) {
        // Lane l: counter word0 = 8·(first_group + g) + l, which is group g + l / 8's lane l % 8.
        __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32((int)((uint32_t)(first_group + g) * 8u)), lanes);
        __m512i c1 = _mm512_set1_epi32((int)word1);
        __m512i c2 = _mm512_set1_epi32((int)word2);
        __m512i c3 = _mm512_set1_epi32((int)word3);
        uint32_t k0 = key0, k1 = key1;
        for (int round = 0; round < 10; round++) {
            if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
            __m512i high0, low0, high1, low1;
            multiply_wide16(c0, m0, &high0, &low0);
            multiply_wide16(c2, m1, &high1, &low1);
            c0 = _mm512_xor_si512(_mm512_xor_si512(high1, c1), _mm512_set1_epi32((int)k0));
            c1 = low1;
            c2 = _mm512_xor_si512(_mm512_xor_si512(high0, c3), _mm512_set1_epi32((int)k1));
            c3 = low0;
        }
        long base = 32 * g;
        draw16(c0, probabilities + base, output + base);
        draw16(c1, probabilities + base + 8, output + base + 8);
        draw16(c2, probabilities + base + 16, output + base + 16);
        draw16(c3, probabilities + base + 24, output + base + 24);
    }
    return g;
}
#endif

const char *rbm_philox_bernoulli_path(void) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2()) return "portable";
    return rbm_cpu_avx512() && !avx2_only ? "avx512" : "avx2";
#else
    return "portable";
#endif
}

int rbm_philox_bernoulli_groups(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                                long first_group, long groups, const float *probabilities, float *output) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2()) return 0;
    long done = 0;
    if (rbm_cpu_avx512() && !avx2_only)
        done = pairs_avx512(key0, key1, word1, word2, word3, first_group, groups, probabilities, output);
    groups_avx2(key0, key1, word1, word2, word3, first_group + done, groups - done,
                probabilities + 32 * done, output + 32 * done);
    return 1;
#else
    (void)key0; (void)key1; (void)word1; (void)word2; (void)word3;
    (void)first_group; (void)groups; (void)probabilities; (void)output;
    return 0;
#endif
}

int rbm_philox_uniform_groups(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, uint32_t word3,
                              long first_group, long groups, float *output) {
#if defined(__x86_64__)
    if (!rbm_cpu_avx2()) return 0;
    uniform_groups_avx2(key0, key1, word1, word2, word3, first_group, groups, output);
    return 1;
#else
    (void)key0; (void)key1; (void)word1; (void)word2; (void)word3;
    (void)first_group; (void)groups; (void)output;
    return 0;
#endif
}
