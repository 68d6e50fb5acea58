// Categorical (one-hot) units eight groups at a time. With 2, 4 or 8 states a vector holds whole
// groups, and permutes spread each state over its group's lanes; otherwise lane k of a vector is
// group k of a block of eight, read by gathers (a group's states are `states` floats apart from
// the next group's), and results go back to the row's own layout through `owner` tables (for
// each float of the block, the lane of its group). Every arithmetic step is the Swift code's, in its order, so the bits
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

/// For states 2, 4 or 8: spread[k] permutes state k of each group of a vector of eight floats
/// onto every lane of that group.
__attribute__((target("avx2")))
static void spread_tables(long states, __m256i *spread) {
    for (long k = 0; k < states; k++) {
        int lanes[8];
        for (int i = 0; i < 8; i++) lanes[i] = (int)(i / states * states + k);
        spread[k] = _mm256_loadu_si256((const __m256i *)lanes);
    }
}

/// Swift's max(largest, v), which is `v >= largest ? v : largest` (NaN in v never taken).
__attribute__((target("avx2"), always_inline))
static inline __m256 swift_max(__m256 largest, __m256 v) {
    return _mm256_blendv_ps(largest, v, _mm256_cmp_ps(v, largest, _CMP_GE_OQ));
}

/// One state of the inverse-CDF draw in every lane: a lane not yet decided takes state k when
/// u < its running sum (ordered: never on NaN), as the Swift loop's first such state.
__attribute__((target("avx2"), always_inline))
static inline void draw_step(__m256 uniform, __m256 cumulative, long k, __m256 *found, __m256i *chosen) {
    __m256 hit = _mm256_andnot_ps(*found, _mm256_cmp_ps(uniform, cumulative, _CMP_LT_OQ));
    *chosen = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(*chosen),
                                                   _mm256_castsi256_ps(_mm256_set1_epi32((int)k)), hit));
    *found = _mm256_or_ps(*found, hit);
}

/// States 2, 4 or 8: a vector of eight floats holds whole groups, so each group's k-th state
/// is spread over the group's lanes by an in-register permute (`spread[k]`), with no gathers;
/// the max and the sum still run over the states in order, so the bits are the gathers' path's.
__attribute__((target("avx2")))
static void softmax_packed_avx2(float *values, long groups, long states, const float *bias, float beta, int tempered) {
    __m256i spread[8];
    spread_tables(states, spread);
    const __m256 scale = _mm256_set1_ps(beta), one = _mm256_set1_ps(1.0f);
    const long count = groups / 8 * 8 * states;
    for (long i = 0; i < count; i += 8) {
        __m256 x = _mm256_add_ps(_mm256_loadu_ps(values + i), _mm256_loadu_ps(bias + i));
        if (tempered) x = _mm256_mul_ps(x, scale);
        __m256 largest = _mm256_permutevar8x32_ps(x, spread[0]);
        for (long k = 1; k < states; k++) {
            __m256 v = _mm256_permutevar8x32_ps(x, spread[k]);
            largest = swift_max(largest, v);
        }
        __m256 e = exp8(_mm256_sub_ps(x, largest));
        // 0 + e₀ = e₀ (e₀ ≥ 0 or NaN), so the sum starts from state 0's term.
        __m256 sum = _mm256_permutevar8x32_ps(e, spread[0]);
        for (long k = 1; k < states; k++) sum = _mm256_add_ps(sum, _mm256_permutevar8x32_ps(e, spread[k]));
        _mm256_storeu_ps(values + i, _mm256_mul_ps(e, _mm256_div_ps(one, sum)));
    }
}

/// The draw for states 2, 4 or 8 (as `softmax_packed_avx2`): running sums in every lane of a
/// group, the group's uniform spread over its lanes, and each lane set to 1 where its state is
/// the group's choice.
__attribute__((target("avx2")))
static void draw_packed_avx2(const float *means, const float *uniforms, long groups, long states, float *output) {
    __m256i spread[8], uniform_lanes[8];
    spread_tables(states, spread);
    int state_of_lane[8];
    for (long k = 0; k < states; k++) {
        int owners[8];
        for (int i = 0; i < 8; i++) {
            owners[i] = (int)(k * (8 / states) + i / states);
            state_of_lane[i] = (int)(i % states);
        }
        uniform_lanes[k] = _mm256_loadu_si256((const __m256i *)owners);
    }
    const __m256i lane_state = _mm256_loadu_si256((const __m256i *)state_of_lane);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (long first = 0; first + 8 <= groups; first += 8) {
        const __m256 block_uniforms = _mm256_loadu_ps(uniforms + first);
        // Chunk k of the block: the eight floats of groups k·8/states …
        for (long chunk = 0; chunk < states; chunk++) {
            const long offset = (first * states) + chunk * 8;
            const __m256 p = _mm256_loadu_ps(means + offset);
            const __m256 uniform = _mm256_permutevar8x32_ps(block_uniforms, uniform_lanes[chunk]);
            __m256 cumulative = _mm256_setzero_ps(), found = _mm256_setzero_ps();
            __m256i chosen = _mm256_set1_epi32((int)(states - 1));
            for (long k = 0; k < states; k++) {
                cumulative = _mm256_add_ps(cumulative, _mm256_permutevar8x32_ps(p, spread[k]));
                draw_step(uniform, cumulative, k, &found, &chosen);
            }
            __m256i is_chosen = _mm256_cmpeq_epi32(chosen, lane_state);
            _mm256_storeu_ps(output + offset, _mm256_and_ps(_mm256_castsi256_ps(is_chosen), one));
        }
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
        __m256 largest = _mm256_i32gather_ps(block, lanes, 4);
        for (long s = 1; s < states; s++) {
            __m256 v = _mm256_i32gather_ps(block + s, lanes, 4);
            largest = swift_max(largest, v);
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
            draw_step(uniform, cumulative, s, &found, &chosen);
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
    if (8 % states == 0) softmax_packed_avx2(values, groups, states, bias, beta, tempered);
    else softmax_avx2(values, groups, states, bias, beta, tempered);
#endif
    return groups / 8 * 8;
}

long rbm_categorical_draw(const float *means, const float *uniforms, long groups, long states, float *output) {
    if (!runs_here(states) || groups < 8) return 0;
#if defined(__x86_64__)
    if (8 % states == 0) draw_packed_avx2(means, uniforms, groups, states, output);
    else draw_avx2(means, uniforms, groups, states, output);
#endif
    return groups / 8 * 8;
}
