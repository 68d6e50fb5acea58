#ifndef RBM_CATEGORICAL_H
#define RBM_CATEGORICAL_H

/// One row of categorical units, `groups` variables of `states` one-hot units each (floats
/// `states` apart): x = values + bias, or β·(values + bias) when `tempered` is 1; then per
/// group the softmax e^(x − max) / Σ e^(x − max), by the operations of `CategoricalUnits`'
/// Swift code in the same order (max as Swift's `max`, e^ by `exp8`, the sum from 0 in state
/// order, then multiplied by 1/sum): the same bits. Done for the first ⌊groups / 8⌋·8 groups,
/// eight groups at a time; the rest are the caller's. Returns the number of groups done: that on
/// an AVX2 CPU with 2 ≤ states ≤ 64, else 0.
long rbm_categorical_softmax(float *values, long groups, long states, const float *bias, float beta, int tempered);

/// The inverse-CDF draw of each group: the first state whose cumulative probability (summed
/// from 0 in state order) exceeds the group's uniform, else the last state; written one-hot
/// (1 and 0) into `output`. The same choices as `CategoricalUnits.sample`'s Swift loop, for the
/// first ⌊groups / 8⌋·8 groups; returns the number of groups done, as above.
long rbm_categorical_draw(const float *means, const float *uniforms, long groups, long states, float *output);

/// For tests: 1 makes both functions do nothing (return 0), so the Swift code runs every group;
/// for the calling thread only.
void rbm_categorical_portable(int portable);

#endif
