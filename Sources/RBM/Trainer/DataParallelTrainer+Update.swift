/// The update from the summed statistics when it needs them whole: centering's correction
/// and FPCD's fast parameters (and, under several ranks, every update). Elementwise passes
/// split by blocks of rows of W, then matrix–vector products on one thread: the result does
/// not depend on the worker or rank count.
extension DataParallelTrainer {
    /// With totals T = [G (n_v × n_h), S_b = Σ(v⁰ − vᵏ), S_c = Σ(P(h|v⁰) − P(h|vᵏ)), S_h = Σ P(h|v⁰)]
    /// and s = 1/B:
    ///
    /// - **Centering** (Melchior et al. 2016) first moves the hidden offsets,
    ///   λ ← (1 − ν)λ + ν·s·S_h, then centres the weight statistic,
    ///   G_ij ← G_ij − μ_i·S_c_j − S_b_i·λ_j  (= Σ (v⁰ − μ)(h⁰ − λ)ᵀ − Σ (vᵏ − μ)(hᵏ − λ)ᵀ).
    /// - **Momentum**, on the (centred) coordinates: Δ ← μΔ + ε(s·T − λ_wd·W for W), θ ← θ + Δ.
    /// - **Centering** keeps the parameters plain: with the centred biases moved by Δ_b, Δ_c, the
    ///   plain ones move by Δ_b − Δ_W·λ and Δ_c − Δ_Wᵀ·μ (b' = b − Wλ, c' = c − Wᵀμ), so the
    ///   model, its conditionals and the checkpoint are those of an ordinary RBM.
    /// - **FPCD** (Tieleman & Hinton 2009): θ_f ← d·θ_f + ε_f·s·T (plain coordinates: with
    ///   centering, the bias steps are corrected as above).
    func applyUpdate(totals: UnsafeMutablePointer<Float>, hyperparameters: UpdateHyperparameters) {
        let nv = visibleCount, nh = hiddenCount
        let weightTotals = totals
        let visibleTotals = totals + nv * nh
        let hiddenTotals = visibleTotals + nv
        let dataHiddenTotals = hiddenTotals + nh
        // The log-variances' statistic is the last piece of the totals.
        let varianceTotals = variances == nil ? nil : UnsafePointer(dataHiddenTotals + (offsets == nil ? 0 : nh))
        let clipping = clippingFactor(totals: totals, varianceTotals: varianceTotals)
        let unclipped = 1 / Float(configuration.batchSize)
        let scale = clipping * unclipped
        if offsets != nil { moveHiddenOffsets(units: 0..<nh, dataHiddenSums: dataHiddenTotals) }
        let blocks = (nv + rowsPerBlock - 1) / rowsPerBlock
        let transfer = UnsafeTransfer((self, weightTotals))
        DataParallel.forEach(items: blocks, workers: reductionWorkers) { item in
            let (trainer, weightTotals) = transfer.value
            let start = item * trainer.rowsPerBlock
            let rows = start..<min(nv, start + trainer.rowsPerBlock)
            trainer.updateWeightRows(rows, totals: weightTotals, scale: scale, hyperparameters: hyperparameters)
        }
        if let variances, let varianceTotals {
            stepLogVariances(0..<nv, variances: variances, statistics: varianceTotals, hyperparameters: hyperparameters,
                             factor: clipping)
        }
        ParameterUpdate.momentumStep(parameters: parameters.visibleBias, velocity: velocity.visibleBias,
                                     statistics: visibleTotals, count: nv, scale: scale, weightDecay: 0,
                                     hyperparameters: hyperparameters)
        ParameterUpdate.momentumStep(parameters: parameters.hiddenBias, velocity: velocity.hiddenBias,
                                     statistics: hiddenTotals, count: nh, scale: scale, weightDecay: 0,
                                     hyperparameters: hyperparameters)
        if let offsets {
            // b' −= Δ_W·λ,  c' −= Δ_Wᵀ·μ.
            BLAS.gemv(rows: nv, columns: nh, alpha: -1, a: velocity.weights, x: offsets.hiddenBias, beta: 1,
                      y: parameters.visibleBias)
            BLAS.gemv(rows: nv, columns: nh, alpha: -1, a: velocity.weights, transpose: true, x: offsets.visibleBias,
                      beta: 1, y: parameters.hiddenBias)
        }
        if let fast {
            let rate = configuration.fastLearningRate * scale
            let decay = configuration.fastDecay
            ParameterUpdate.decayingStep(fast.visibleBias, statistics: visibleTotals, count: nv, decay: decay, rate: rate)
            ParameterUpdate.decayingStep(fast.hiddenBias, statistics: hiddenTotals, count: nh, decay: decay, rate: rate)
            if let offsets {
                BLAS.gemv(rows: nv, columns: nh, alpha: -rate, a: weightTotals, x: offsets.hiddenBias, beta: 1,
                          y: fast.visibleBias)
                BLAS.gemv(rows: nv, columns: nh, alpha: -rate, a: weightTotals, transpose: true, x: offsets.visibleBias,
                          beta: 1, y: fast.hiddenBias)
            }
        }
    }

    /// Centering's hidden offsets for `units`, a moving data mean (never clipped):
    /// λ_j ← (1 − ν)λ_j + ν·S_h_j/B, S_h = Σ P(h|v⁰) over the batch (`dataHiddenSums`, indexed by unit).
    func moveHiddenOffsets(units: Range<Int>, dataHiddenSums: UnsafePointer<Float>) {
        guard let offsets else { return }
        let rate = configuration.centeringRate
        let scale = 1 / Float(configuration.batchSize)
        for j in units {
            offsets.hiddenBias[j] = (1 - rate) * offsets.hiddenBias[j] + rate * (scale * dataHiddenSums[j])
        }
    }

    /// Rows `rows` of W: centre the statistic (centering), the momentum step, the fast step.
    func updateWeightRows(_ rows: Range<Int>, totals: UnsafeMutablePointer<Float>, scale: Float,
                          hyperparameters: UpdateHyperparameters) {
        let nh = hiddenCount
        let offset = rows.lowerBound * nh
        let count = rows.count * nh
        if let offsets {
            let visibleTotals = totals + visibleCount * nh
            let hiddenTotals = visibleTotals + visibleCount
            for i in rows {
                let mu = offsets.visibleBias[i], visibleSum = visibleTotals[i]
                let row = totals + i * nh
                for j in 0..<nh {
                    row[j] = row[j] - mu * hiddenTotals[j] - visibleSum * offsets.hiddenBias[j]
                }
            }
        }
        ParameterUpdate.momentumStep(parameters: parameters.weights + offset, velocity: velocity.weights + offset,
                                     statistics: totals + offset, count: count, scale: scale,
                                     weightDecay: configuration.weightDecay, hyperparameters: hyperparameters)
        if let fast {
            ParameterUpdate.decayingStep(fast.weights + offset, statistics: totals + offset, count: count,
                                         decay: configuration.fastDecay, rate: configuration.fastLearningRate * scale)
        }
    }

    /// FPCD: the parameters the chains sample from, θ + θ_f, before the update's negative phase.
    func refreshNegativeParameters() {
        guard let fast, let negative = parametersWithFast else { return }
        let pairs: [(UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int)] = [
            (negative.weights, parameters.weights, fast.weights, visibleCount * hiddenCount),
            (negative.visibleBias, parameters.visibleBias, fast.visibleBias, visibleCount),
            (negative.hiddenBias, parameters.hiddenBias, fast.hiddenBias, hiddenCount),
        ]
        for (sum, slow, quick, count) in pairs {
            for index in 0..<count { sum[index] = slow[index] + quick[index] }
        }
    }
}

extension DataParallelTrainer {
    enum Bias { case visible, hidden }

    /// Units `units` of the visible bias b or the hidden bias c in place by the momentum rule,
    /// without weight decay, from `workspace`'s statistic of that bias (the batch total):
    /// Δ ← μΔ + ε(G/B), θ ← θ + Δ. The blocked steps' last phase, each block its own part.
    func biasMomentumStep(_ bias: Bias, units: Range<Int>, statistics workspace: ShardWorkspace,
                          hyperparameters: UpdateHyperparameters) {
        let (values, steps, statistics) = bias == .visible
            ? (parameters.visibleBias, velocity.visibleBias, workspace.visibleBiasStatistics)
            : (parameters.hiddenBias, velocity.hiddenBias, workspace.hiddenBiasStatistics)
        ParameterUpdate.momentumStep(
            parameters: values + units.lowerBound, velocity: steps + units.lowerBound,
            statistics: statistics + units.lowerBound, count: units.count, scale: 1 / Float(configuration.batchSize),
            weightDecay: 0, hyperparameters: hyperparameters)
    }

    /// Rows `rows` × columns `units` of W's statistic G = [v⁰; vᵏ]ᵀ [P(h|v⁰); −P(h|vᵏ)], from the
    /// `stackedRows` (2n) rows of `stackedVisible` (n_visible wide) and `stackedHidden`
    /// (n_hidden wide), for the blocked steps that own that piece of W.
    ///
    /// With `hyperparameters` (one shard: G is the total) the update is applied in place: the
    /// GEMM writes the new velocity itself, Δ ← (ε/B)·G + μ·Δ, and one pass finishes
    /// Δ ← Δ − ελW, W ← W + Δ — the momentum rule without writing G and reading it back
    /// (measured on one core: 7–9 % faster at batch 5, 3–10 % at batch 100). Without, G goes to
    /// the same rectangle of `statistics`.
    func weightStatistics(rows: Range<Int>, units: Range<Int>, stackedRows: Int,
                          stackedVisible: UnsafePointer<Float>, stackedHidden: UnsafePointer<Float>,
                          into statistics: UnsafeMutablePointer<Float>,
                          applying hyperparameters: UpdateHyperparameters?) {
        let nv = visibleCount, nh = hiddenCount
        let first = rows.lowerBound * nh + units.lowerBound
        let visible = stackedVisible + rows.lowerBound
        let hidden = stackedHidden + units.lowerBound
        guard let hyperparameters else {
            BLAS.gemm(m: rows.count, n: units.count, k: stackedRows, a: visible, lda: nv, transposeA: true,
                      b: hidden, ldb: nh, c: statistics + first, ldc: nh)
            return
        }
        let epsilon = hyperparameters.learningRate
        let decay = epsilon * configuration.weightDecay
        // Sampled binary visible units: the sums of rows finish the momentum rule in their own
        // pass over Δ and W (the same operations as below, one pass fewer over Δ).
        if BinaryProducts.gemmWithMomentumStep(
            m: rows.count, n: units.count, k: stackedRows, alpha: epsilon / Float(configuration.batchSize),
            a: visible, lda: nv, transposeA: true, b: hidden, ldb: nh, beta: hyperparameters.momentum,
            velocity: velocity.weights + first, ldv: nh, parameters: parameters.weights + first, ldp: nh, decay: decay) {
            return
        }
        BLAS.gemm(m: rows.count, n: units.count, k: stackedRows, alpha: epsilon / Float(configuration.batchSize),
                  a: visible, lda: nv, transposeA: true, b: hidden, ldb: nh, beta: hyperparameters.momentum,
                  c: velocity.weights + first, ldc: nh)
        if units.count == nh {
            // Whole rows: one contiguous pass.
            ParameterUpdate.decayAndApply(parameters: parameters.weights + first, velocity: velocity.weights + first,
                                          count: rows.count * nh, decay: decay)
        } else {
            for row in rows {
                let offset = row * nh + units.lowerBound
                ParameterUpdate.decayAndApply(parameters: parameters.weights + offset, velocity: velocity.weights + offset,
                                              count: units.count, decay: decay)
            }
        }
    }
}
