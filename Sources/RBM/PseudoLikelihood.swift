/// Pseudo-likelihood (Besag 1975): PL(v) = Σᵢ log P(vᵢ | v₋ᵢ), where flipping unit i to
/// ṽ gives P(vᵢ | v₋ᵢ) = σ(F(ṽ) − F(v)). With x = c + vᵀW and s = 1 − 2vᵢ (the flip's sign):
///
///     F(ṽ) − F(v) = −s·bᵢ − Σⱼ [softplus(xⱼ + s·Wᵢⱼ) − softplus(xⱼ)]
///
/// `exact` sums over every visible unit (n_visible × n_hidden softplus per sample);
/// `stochastic` is the cheap estimate n_visible · log σ(F(ṽ) − F(v)) for one random unit per
/// sample (scikit-learn's `score_samples`), keyed by (seed, sample).
///
/// The term of one variable is the unit type's (`VisibleUnitType.logConditional`): the above
/// for Bernoulli units, a sum over the states of a one-hot group for categorical ones. Kinds
/// without a closed form here (Gaussian, binomial) give NaN, and evaluation reports none.
public enum PseudoLikelihood {
    public enum Method: Sendable { case exact, stochastic(seed: UInt64) }

    /// The mean pseudo-log-likelihood per sample, in nats.
    public static func mean(model: RBMModel, visible: [Float], rows: Int, method: Method, workers: Int) -> Double {
        guard rows > 0, model.visibleUnits.hasPseudoLikelihood else { return .nan }
        let transfer = UnsafeTransfer((model, visible))
        let sums = DataParallel.mapChunks(count: rows, chunkSize: 64, workers: workers) { range in
            let (model, visible) = transfer.value
            let nv = model.visibleCount, nh = model.hiddenCount
            let units = model.visibleUnits
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
                            func logConditional(_ variable: Int) -> Double {
                                shifted.withUnsafeMutableBufferPointer { scratch in
                                    units.logConditional(variable: variable, visible: v.baseAddress! + sample * nv, hiddenInput: row,
                                                         base: base, weights: w.baseAddress!, visibleBias: model.visibleBias,
                                                         hiddenCount: nh, scratch: scratch.baseAddress!)
                                }
                            }
                            let variables = units.variableCount(visibleCount: nv)
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
