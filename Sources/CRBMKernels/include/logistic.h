#ifndef RBM_LOGISTIC_H
#define RBM_LOGISTIC_H

/// values[r][c] ← σ(values[r][c] + bias[c]) for the first ⌊columns / 8⌋·8 columns of each of
/// `rows` rows (`columns` floats apart), by the operations of `Logistic.applyWithBias`
/// (MathFunctions.swift) in the same order, without fused multiply-adds: the same bits.
/// The remaining columns are the caller's. Returns 1 when done (an AVX2 CPU), else 0.
int rbm_logistic_with_bias(float *values, long rows, long columns, const float *bias);

/// values[c] ← σ(β·(values[c] + bias[c])) for the first ⌊columns / 8⌋·8 columns of one row, by
/// the operations of `Logistic.applyTempered` in the same order: the same bits. Returns 1 when
/// done (an AVX2 CPU), else 0.
int rbm_logistic_tempered(float *values, long columns, const float *bias, float beta);

/// values[i] ← e^values[i] for the first ⌊count / 8⌋·8 values, by the operations of
/// `Logistic.exp8` in the same order: the same bits. The rest are the caller's. Returns 1 when
/// done (an AVX2 CPU), else 0.
int rbm_exp_in_place(float *values, long count);

#endif
