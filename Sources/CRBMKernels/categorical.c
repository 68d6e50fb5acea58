// Categorical (one-hot) units eight groups at a time: lane k of a vector is group k of a block
// of eight, read by gathers (a group's states are `states` floats apart from the next group's);
// results go back to the row's own layout through `owner` tables (for each float of the block,
// the lane of its group). Every arithmetic step is the Swift code's, in its order, so the bits
// are the same (`CategoricalUnits`).
#pragma clang fp contract(off)

#include "categorical.h"
#include "cpu_features.h"
#include "exp_avx2.h"

enum { most_states = 64 };

static _Thread_local int portable_only = 0;
void rbm_categorical_portable(int portable) { portable_only = portable; }

static int runs_here(long states) {
#if defined(__x86_64__)
    return !portable_only && states >= 2 && states <= most_states && rbm_cpu_avx2();
#else
    (void)states;
    return 0;
#endif
}

#if defined(__x86_64__)
/// owner[i] = i / states and (when `state` is not NULL) state[i] = i % states for the 8·states
/// floats of a block.
static void block_tables(long states, int *owner, int *state) {
    for (long i = 0; i < 8 * states; i++) {
        owner[i] = (int)(i / states);
        if (state) state[i] = (int)(i % states);
    }
}

__attribute__((target("avx2")))
static void softmax_avx2(float *values, long groups, long states, const float *bias, float beta, int tempered) {
    int owner[8 * most_states];
    block_tables(states, owner, NULL);
    const long width = 8 * states;
    const __m256i lanes = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)states));
    const __m256 scale = _mm256_set1_ps(beta), one = _mm256_set1_ps(1.0f);
    for (long first = 0; first + 8 <= groups; first += 8) {
        float *block = values + first * states;
        const float *block_bias = bias + first * states;
        for (long i = 0; i < width; i += 8) {
            __m256 x = _mm256_add_ps(_mm256_loadu_ps(block + i), _mm256_loadu_ps(block_bias + i));
            _mm256_storeu_ps(block + i, tempered ? _mm256_mul_ps(x, scale) : x);
        }
        // Swift's max(largest, v) is `v >= largest ? v : largest`.
        __m256 largest = _mm256_i32gather_ps(block, lanes, 4);
        for (long s = 1; s < states; s++) {
            __m256 v = _mm256_i32gather_ps(block + s, lanes, 4);
            largest = _mm256_blendv_ps(largest, v, _mm256_cmp_ps(v, largest, _CMP_GE_OQ));
        }
        for (long i = 0; i < width; i += 8) {
            __m256 shift = _mm256_permutevar8x32_ps(largest, _mm256_loadu_si256((const __m256i *)(owner + i)));
            _mm256_storeu_ps(block + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(block + i), shift)));
        }
        __m256 sum = _mm256_setzero_ps();
        for (long s = 0; s < states; s++) sum = _mm256_add_ps(sum, _mm256_i32gather_ps(block + s, lanes, 4));
        const __m256 inverse = _mm256_div_ps(one, sum);
        for (long i = 0; i < width; i += 8) {
            __m256 factor = _mm256_permutevar8x32_ps(inverse, _mm256_loadu_si256((const __m256i *)(owner + i)));
            _mm256_storeu_ps(block + i, _mm256_mul_ps(_mm256_loadu_ps(block + i), factor));
        }
    }
}

__attribute__((target("avx2")))
static void draw_avx2(const float *means, const float *uniforms, long groups, long states, float *output) {
    int owner[8 * most_states], state[8 * most_states];
    block_tables(states, owner, state);
    const long width = 8 * states;
    const __m256i lanes = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)states));
    const __m256 one = _mm256_set1_ps(1.0f);
    for (long first = 0; first + 8 <= groups; first += 8) {
        const float *block = means + first * states;
        const __m256 uniform = _mm256_loadu_ps(uniforms + first);
        __m256 cumulative = _mm256_setzero_ps(), found = _mm256_setzero_ps();
        __m256i chosen = _mm256_set1_epi32((int)(states - 1));
        for (long s = 0; s < states; s++) {
            cumulative = _mm256_add_ps(cumulative, _mm256_i32gather_ps(block + s, lanes, 4));
            __m256 hit = _mm256_andnot_ps(found, _mm256_cmp_ps(uniform, cumulative, _CMP_LT_OQ));
            chosen = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(chosen),
                                                          _mm256_castsi256_ps(_mm256_set1_epi32((int)s)), hit));
            found = _mm256_or_ps(found, hit);
        }
        float *out = output + first * states;
        for (long i = 0; i < width; i += 8) {
            __m256i group_choice = _mm256_permutevar8x32_epi32(chosen, _mm256_loadu_si256((const __m256i *)(owner + i)));
            __m256i is_chosen = _mm256_cmpeq_epi32(group_choice, _mm256_loadu_si256((const __m256i *)(state + i)));
            _mm256_storeu_ps(out + i, _mm256_and_ps(_mm256_castsi256_ps(is_chosen), one));
        }
    }
}
#endif

long rbm_categorical_softmax(float *values, long groups, long states, const float *bias, float beta, int tempered) {
    if (!runs_here(states) || groups < 8) return 0;
#if defined(__x86_64__)
    softmax_avx2(values, groups, states, bias, beta, tempered);
#endif
    return groups / 8 * 8;
}

long rbm_categorical_draw(const float *means, const float *uniforms, long groups, long states, float *output) {
    if (!runs_here(states) || groups < 8) return 0;
#if defined(__x86_64__)
    draw_avx2(means, uniforms, groups, states, output);
#endif
    return groups / 8 * 8;
}
