#ifndef RBM_CATEGORICAL_LOG_SUM_H
#define RBM_CATEGORICAL_LOG_SUM_H

/// Σ_g logsumexp_a (bias_ga + a_ga) over `groups` variables of `states` one-hot units each
/// (floats `states` apart), in double precision: the visible layer summed out of a categorical
/// RBM, once per enumerated hidden state of the exact log Z.
///
/// Per group, with t_a = bias_a + a_a (each float widened to double first) and m its largest:
/// logsumexp = m + log T, T = Σ_a e^(t_a − m) ∈ [1, states]. The e^ is this file's own
/// double-precision exponential (within about 2 ulp of e^x; arguments below −700 taken as −700,
/// whose e^ is far below T's last bit), T summed from state 0 up. The logs are taken of products
/// of the T of up to ⌊1000 / log₂ states⌋ groups (under 2^1000, so a normal double) rather than of
/// each T, and the result is Σ_g m_g + Σ_blocks log Π T.
///
/// Four groups at a time on an AVX2 CPU, one at a time elsewhere, by the same operations in the
/// same order (no fused multiply-adds): the same bits on every x86-64 CPU.
double rbm_categorical_log_sum(const float *a, const float *bias, long groups, long states);

/// For tests: 1 makes the calling thread's `rbm_categorical_log_sum` take the one-group path.
void rbm_categorical_log_sum_portable(int portable);

#endif
