/// Pseudo-likelihood (Besag 1975): PL(v) = Σᵢ log P(vᵢ | v₋ᵢ), where flipping unit i to
/// ṽ gives P(vᵢ | v₋ᵢ) = σ(F(ṽ) − F(v)). With x = c + vᵀW and s = 1 − 2vᵢ (the flip's sign):
///
///     F(ṽ) − F(v) = −s·bᵢ − Σⱼ [softplus(xⱼ + s·Wᵢⱼ) − softplus(xⱼ)]
///
/// `exact` sums over every visible unit (n_visible × n_hidden softplus per sample);
/// `stochastic` is the cheap estimate n_visible · log σ(F(ṽ) − F(v)) for one random unit per
/// sample (scikit-learn's `score_samples`), keyed by (seed, sample).
///
/// Categorical units: a variable g in state a, moved to a', changes F by
/// F(v_{g=a'}) − F(v) = −(b_ga' − b_ga) − Σⱼ [softplus(xⱼ + W_ga'ⱼ − W_gaⱼ) − softplus(xⱼ)], and
/// log P(v_g | v₋g) = −logsumexp_a' [F(v) − F(v_{g=a'})], summed over the variables.
/// Gaussian units have no closed form here (the conditional density needs an integral over
/// v_i of softplus terms): the mean is NaN, and evaluation reports none.
public enum PseudoLikelihood {
    public enum Method: Sendable { case exact, stochastic(seed: UInt64) }

    /// The mean pseudo-log-likelihood per sample, in nats.
    public static func mean(model: RBMModel, visible: [Float], rows: Int, method: Method, workers: Int) -> Double {
        guard rows > 0, model.visibleUnits.hasPseudoLikelihood else { return .nan }
        let states = model.visibleUnits.states
        let transfer = UnsafeTransfer((model, visible))
        let sums = DataParallel.mapChunks(count: rows, chunkSize: 64, workers: workers) { range in
            let (model, visible) = transfer.value
            let nv = model.visibleCount, nh = model.hiddenCount
            var x = [Float](repeating: 0, count: range.count * nh)
            var shifted = [Float](repeating: 0, count: nh)
            var total = 0.0
            visible.withUnsafeBufferPointer { v in
                model.weights.withUnsafeBufferPointer { w in
                    x.withUnsafeMutableBufferPointer { xs in
                        RBMKernels.affine(visible: v.baseAddress! + range.lowerBound * nv, rows: range.count,
                                          weights: w.baseAddress!, hiddenBias: model.hiddenBias,
                                          visibleCount: nv, hiddenCount: nh, into: xs.baseAddress!)
                        let zero = [Float](repeating: 0, count: nh)
                        for (offset, sample) in range.enumerated() {
                            let row = xs.baseAddress! + offset * nh
                            let base = zero.withUnsafeBufferPointer { Logistic.softplusSum(row, offset: $0.baseAddress!, count: nh) }
                            func logConditional(_ i: Int) -> Double {
                                if states > 2 { return logCategorical(group: i) }
                                let sign: Float = v[sample * nv + i] > 0.5 ? -1 : 1
                                let weightsRow = w.baseAddress! + i * nh
                                for j in 0..<nh { shifted[j] = sign * weightsRow[j] }
                                let flipped = shifted.withUnsafeBufferPointer {
                                    Logistic.softplusSum(row, offset: $0.baseAddress!, count: nh)
                                }
                                let difference = -Double(sign * model.visibleBias[i]) - (flipped - base)
                                return -softplus(-difference)   // log σ(d)
                            }
                            func logCategorical(group: Int) -> Double {
                                let first = group * states
                                let current = (0..<states).first { v[sample * nv + first + $0] > 0.5 } ?? 0
                                let currentRow = w.baseAddress! + (first + current) * nh
                                var changes: [Double] = []
                                for state in 0..<states {
                                    if state == current { changes.append(0); continue }
                                    let stateRow = w.baseAddress! + (first + state) * nh
                                    for j in 0..<nh { shifted[j] = stateRow[j] - currentRow[j] }
                                    let moved = shifted.withUnsafeBufferPointer {
                                        Logistic.softplusSum(row, offset: $0.baseAddress!, count: nh)
                                    }
                                    changes.append(Double(model.visibleBias[first + state] - model.visibleBias[first + current])
                                                   + (moved - base))
                                }
                                return -logSumExp(changes)
                            }
                            let variables = states > 2 ? nv / states : nv
                            switch method {
                            case .exact:
                                for i in 0..<variables { total += logConditional(i) }
                            case let .stochastic(seed):
                                let stream = RandomStream(seed: seed, purpose: .pseudoLikelihood)
                                let unit = stream.integer(below: variables, row: UInt32(truncatingIfNeeded: sample), index: 0)
                                total += Double(variables) * logConditional(unit)
                            }
                        }
                    }
                }
            }
            return total
        }
        return sums.reduce(0, +) / Double(rows)
    }
}
