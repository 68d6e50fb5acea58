/// Block Gibbs sampling from the model, for pictures of what it has learned.
public enum GibbsSampler {
    /// Runs `steps` alternating Gibbs steps h ~ P(h|v), v ~ P(v|h) from `start` (rows × n_visible)
    /// and returns E[v|h] of the last step (mean-field pictures are easier to look at than
    /// binary states). Random numbers are keyed by (seed, step, chain); chains are processed
    /// in fixed groups, so the result does not depend on `workers`.
    /// With learned variances the chains run on the unit-variance model from u = v/σ and the
    /// means come back as σ ⊙ E[u|h].
    public static func visibleProbabilities(model: RBMModel, start: [Float], rows: Int, steps: Int,
                                            seed: UInt64, workers: Int) -> [Float] {
        if model.visibleLogVariance != nil {
            let means = visibleProbabilities(model: model.unitVarianceModel, start: model.unitVarianceCoordinates(start, rows: rows),
                                             rows: rows, steps: steps, seed: seed, workers: workers)
            return model.dataCoordinates(means, rows: rows)
        }
        precondition(start.count == rows * model.visibleCount && steps >= 1)
        let nv = model.visibleCount, nh = model.hiddenCount
        let transfer = UnsafeTransfer((model, start))
        let chunks = DataParallel.mapChunks(count: rows, chunkSize: 25, workers: workers) { range in
            let (model, start) = transfer.value
            var visible = Array(start[(range.lowerBound * nv)..<(range.upperBound * nv)])
            var hidden = [Float](repeating: 0, count: range.count * nh)
            model.weights.withUnsafeBufferPointer { w in
                visible.withUnsafeMutableBufferPointer { v in
                    hidden.withUnsafeMutableBufferPointer { h in
                        for step in 0..<steps {
                            RBMKernels.hiddenProbabilities(visible: v.baseAddress!, rows: range.count, weights: w.baseAddress!,
                                                           hiddenBias: model.hiddenBias, visibleCount: nv, hiddenCount: nh,
                                                           into: h.baseAddress!)
                            let hiddenStream = RandomStream(seed: seed, purpose: .sampling, step: UInt32(step), substep: 0)
                            GibbsHalfStep.drawBernoulli(hiddenStream, rows: range.count, stride: nh, units: 0..<nh,
                                                        streamRow: { range.lowerBound + $0 }, probabilities: h.baseAddress!,
                                                        into: h.baseAddress!)
                            model.visibleBias.withUnsafeBufferPointer { b in
                                RBMKernels.visibleMeans(units: model.visibleUnits, hidden: h.baseAddress!, rows: range.count,
                                                        weights: w.baseAddress!, visibleBias: b.baseAddress!, visibleCount: nv,
                                                        hiddenCount: nh, into: v.baseAddress!)
                            }
                            if step == steps - 1 { break }
                            let visibleStream = RandomStream(seed: seed, purpose: .sampling, step: UInt32(step), substep: 1)
                            GibbsHalfStep.drawVisible(model.visibleUnits, visibleStream, rows: range.count, count: nv,
                                                      streamRow: { range.lowerBound + $0 }, means: v.baseAddress!, into: v.baseAddress!)
                        }
                    }
                }
            }
            return visible
        }
        return chunks.flatMap { $0 }
    }
}
