/// Cheap per-epoch monitors, computed in parallel over chunks of rows and combined in chunk
/// order (so they too are the same for any worker count).
public enum Monitoring {
    static let chunkRows = 256

    /// Mean over rows of the squared reconstruction error Σ_i (v_i − v̂_i)², where
    /// v̂ = E[v | h = σ(c + Wᵀv)] is the mean-field one-step reconstruction (no sampling):
    /// σ(b + Wh) for Bernoulli units, b + Wh for Gaussian ones, per-group softmax for categorical.
    ///
    /// With learned variances the reconstruction is σ ⊙ (b + W·P(h|u)) from u = v/σ, and the
    /// error is measured on v: Σ_i σ_i² (u_i − û_i)².
    public static func reconstructionError(
        model: RBMModel, visible: [Float], rows: Int, workers: Int
    ) -> Double {
        let variances = model.visibleStandardDeviations.map { $0.map { Double($0) * Double($0) } }
        let scaled = model.unitVarianceCoordinates(visible, rows: rows)
        return meanOverRows(model: model.unitVarianceModel, visible: scaled, rows: rows, workers: workers) { model, rowsStart, n in
            var hidden = [Float](repeating: 0, count: n * model.hiddenCount)
            var reconstruction = [Float](repeating: 0, count: n * model.visibleCount)
            return model.weights.withUnsafeBufferPointer { w in
                hidden.withUnsafeMutableBufferPointer { h in
                    reconstruction.withUnsafeMutableBufferPointer { r in
                        RBMKernels.hiddenProbabilities(
                            visible: rowsStart, rows: n, weights: w.baseAddress!,
                            hiddenBias: model.hiddenBias, visibleCount: model.visibleCount,
                            hiddenCount: model.hiddenCount, into: h.baseAddress!)
                        model.visibleBias.withUnsafeBufferPointer { b in
                            RBMKernels.visibleMeans(
                                units: model.visibleUnits, hidden: h.baseAddress!, rows: n, weights: w.baseAddress!,
                                visibleBias: b.baseAddress!, visibleCount: model.visibleCount,
                                hiddenCount: model.hiddenCount, into: r.baseAddress!)
                        }
                        var sum = 0.0
                        for index in 0..<(n * model.visibleCount) {
                            let difference = Double(rowsStart[index] - r[index])
                            sum += difference * difference * (variances?[index % model.visibleCount] ?? 1)
                        }
                        return sum
                    }
                }
            }
        }
    }

    /// Mean free energy (1/N) Σ F(v) over the rows. Comparing it on training and held-out
    /// data shows overfitting: the held-out value rising above the training value.
    /// With learned variances F_v(v) = F_u(v/σ) (`RBMModel+LearnedVariance.swift`).
    public static func meanFreeEnergy(
        model: RBMModel, visible: [Float], rows: Int, workers: Int
    ) -> Double {
        meanOverRows(model: model.unitVarianceModel, visible: model.unitVarianceCoordinates(visible, rows: rows),
                     rows: rows, workers: workers) { model, rowsStart, n in
            var scratch = [Float](repeating: 0, count: n * model.hiddenCount)
            var energies = [Double](repeating: 0, count: n)
            model.weights.withUnsafeBufferPointer { w in
                scratch.withUnsafeMutableBufferPointer { s in
                    energies.withUnsafeMutableBufferPointer { e in
                        RBMKernels.freeEnergies(
                            visible: rowsStart, rows: n, weights: w.baseAddress!, visibleBias: model.visibleBias,
                            hiddenBias: model.hiddenBias, units: model.visibleUnits, scratch: s.baseAddress!,
                            into: e.baseAddress!)
                    }
                }
            }
            return energies.reduce(0, +)
        }
    }

    /// (1/rows) Σ over chunks of `chunkSum(model, first row of the chunk, rows in it)`, the
    /// chunks computed on `workers` threads and their sums added in chunk order.
    static func meanOverRows(
        model: RBMModel, visible: [Float], rows: Int, workers: Int,
        _ chunkSum: @escaping @Sendable (RBMModel, UnsafePointer<Float>, Int) -> Double
    ) -> Double {
        guard rows > 0 else { return .nan }
        let transfer = UnsafeTransfer((model, visible))
        let sums = DataParallel.mapChunks(count: rows, chunkSize: chunkRows, workers: workers) { range in
            let (model, visible) = transfer.value
            return visible.withUnsafeBufferPointer { v in
                chunkSum(model, v.baseAddress! + range.lowerBound * model.visibleCount, range.count)
            }
        }
        return sums.reduce(0, +) / Double(rows)
    }
}
