#ifndef RBM_BOX_MULLER_H
#define RBM_BOX_MULLER_H

/// Normal draws by Box–Muller for `blocks` whole blocks of 16 units, the twin of
/// `GaussianUnits.sample` (GaussianUnits.swift): in each block, units 2k and 2k + 1 take the
/// uniforms u₂ₖ (the radius) and u₂ₖ₊₁ (the angle), r = √(−2 log(1 − u₂ₖ)), θ = 2πu₂ₖ₊₁, and
/// output₂ₖ = means₂ₖ + r cos θ, output₂ₖ₊₁ = means₂ₖ₊₁ + r sin θ, by the operations and float
/// constants of `Logistic.log8` and `Logistic.cosSinOfTurns8` (MathFunctions.swift) in the same
/// order, without fused multiply-adds: the same bits. `output` may be `means`.
///
/// Returns 1 when it drew (an AVX2 CPU), 0 when the caller must (nothing written).
int rbm_box_muller_blocks(const float *uniforms, const float *means, long blocks, float *output);

/// For tests: 1 makes `rbm_box_muller_blocks` decline, so that the Swift code draws.
void rbm_box_muller_portable_only(int only);

#endif
