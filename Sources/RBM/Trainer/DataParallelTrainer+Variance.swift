/// Learned variances (`RBMModel+LearnedVariance.swift`) in the trainer: the shard's statistic
/// for the log-variances, the data's scaling by 1/σ, and the step of z.
extension DataParallelTrainer {
    /// Learned variances: for each visible unit, T_i = Σ_rows u_i (u_i − b_i) − Σ_j W_ij P_ij over
    /// the shard's `rows` data rows u (`data`), with P = Σ_rows u P(h|u)ᵀ (`positive`, n_visible ×
    /// n_hidden): Σ_j W_ij P_ij = Σ_rows u_i (W P(h|u))_i. Summed over shards, ½(T/B − 1) is the
    /// exact gradient of the mean log-likelihood in z_i (`RBMModel+LearnedVariance.swift`).
    /// Sums in a fixed order: over rows row by row, over j in 16 lanes then lane by lane.
    func varianceStatistics(rows: Int, data: UnsafePointer<Float>, positive: UnsafePointer<Float>,
                            into statistics: UnsafeMutablePointer<Float>) {
        let nv = visibleCount, nh = hiddenCount
        let w = UnsafeRawPointer(parameters.weights), b = parameters.visibleBias
        for i in 0..<nv { statistics[i] = 0 }
        for row in 0..<rows {
            let u = data + row * nv
            for i in 0..<nv { statistics[i] += u[i] * (u[i] - b[i]) }
        }
        let raw = UnsafeRawPointer(positive)
        let wholeLanes = nh / 16 * 16
        for i in 0..<nv {
            var lanes = SIMD16<Float>()
            var j = 0
            while j < wholeLanes {
                let offset = (i * nh + j) * 4
                lanes += w.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                    * raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                j += 16
            }
            var product: Float = 0
            for lane in 0..<16 { product += lanes[lane] }
            while j < nh {
                product += parameters.weights[i * nh + j] * positive[i * nh + j]
                j += 1
            }
            statistics[i] -= product
        }
    }

    /// Multiplies each of `rows` rows of `columns` values by `factors` (one per column).
    static func scale(rows: Int, columns: Int, _ values: UnsafeMutablePointer<Float>, by factors: UnsafePointer<Float>) {
        for row in 0..<rows {
            let target = values + row * columns
            for i in 0..<columns { target[i] *= factors[i] }
        }
    }

    /// Learned variances, units `units`: z ← max(z + Δ, log σ²_min) with Δ ← μΔ + ε_z·f·½(T/B − 1)
    /// from the summed statistic T (f: the clipping factor), then 1/σ for the next update's data.
    func stepLogVariances(_ units: Range<Int>, variances: VarianceBuffers, statistics: UnsafePointer<Float>,
                          hyperparameters: UpdateHyperparameters, factor: Float = 1) {
        let floor = Float(_log(Double(configuration.minimumVariance)))
        let scale = 1 / Float(configuration.batchSize)
        for i in units {
            let gradient = factor * ParameterUpdate.logVarianceGradient(statistic: statistics[i], scale: scale)
            let step = hyperparameters.momentum * variances.velocity[i] + hyperparameters.varianceLearningRate * gradient
            variances.velocity[i] = step
            variances.logVariance[i] = max(variances.logVariance[i] + step, floor)
        }
        variances.refreshScales(units)
    }
}
