/// Centering applied in place by the hidden-block layout (one shard in one process): each
/// block moves its own hidden offsets, centres its own columns of W's statistic and updates
/// them, so the statistic is never summed or stored and W_b stays in its core's cache — the
/// same rule as `applyUpdate`, which needs the totals whole.
///
/// With s = 1/B, α = ε·s, the block's statistics G_b (n_visible × its units), S_c = Σ(P(h|v⁰) −
/// P(h|vᵏ)) and S_h = Σ P(h|v⁰) over its units, and S_b = Σ(v⁰ − vᵏ) (every block forms the
/// same S_b from the same rows):
///
///     λ_j ← (1 − ν)λ_j + ν·s·S_h_j
///     Δ_ij ← μΔ_ij + α·G_ij − α(μ_i·S_c_j + S_b_i·λ_j) − ελ_wd·W_ij,   W_ij ← W_ij + Δ_ij
///     c_j ← c_j + Δc_j − Σ_i Δ_ij·μ_i          (c' = c − Wᵀμ kept plain)
///     b_i ← b_i + Δb_i − Σ_b Σ_{j ∈ b} Δ_ij·λ_j  (b' = b − Wλ; the blocks' parts summed in order)
///
/// For sampled binary visible units the sums of rows form Δ's row and finish the rule on it in
/// one pass (`BinaryProducts.gemmWithMomentumStep` with its `centring`); otherwise a GEMM writes
/// μΔ + α·G and a pass does the rest. Two GEMVs over the new Δ_b then give Σ_i Δ_ij·μ_i and
/// Σ_j Δ_ij·λ_j. The last crosses blocks, so it is finished after the phases
/// (`finishCentredVisibleBias`), in block order: the result does not depend on the number of
/// workers.
extension DataParallelTrainer {
    /// Block `block`'s hidden offsets and centred update of W_b, and its parts of the bias
    /// corrections; called at the end of the last Gibbs step's hidden phase, once the shard's
    /// bias statistics (S_c over the block's units; block 0: S_b) are formed.
    func centredWeightUpdate(workspace: ShardWorkspace, block: Int, units: Range<Int>,
                             hyperparameters: UpdateHyperparameters) {
        guard let offsets, let dataHiddenSums = workspace.dataHiddenSums else {
            preconditionFailure("a centred update needs the offsets and Σ P(h|v⁰)")
        }
        let nv = visibleCount, nh = hiddenCount
        let n = workspace.rows
        let scratch = workspace.hiddenBlocks
        // S_b: block 0's is the shard's statistic; the others form their own copy (2n signed rows).
        let visibleSums = block == 0 ? workspace.visibleBiasStatistics : scratch.visibleSums + block * nv
        if block != 0 {
            BLAS.weightedRowSum(rows: 2 * n, columns: nv, a: workspace.stackedVisible, weights: workspace.visibleSigns,
                                into: visibleSums)
        }
        moveHiddenOffsets(units: units, dataHiddenSums: dataHiddenSums)
        // Δ_b ← μΔ_b + α·G_b − α(μ_i·S_c_j + S_b_i·λ_j) − ελ_wd·W_b, W_b ← W_b + Δ_b: in the sums of
        // rows' own pass for sampled binary visible units, else a GEMM and a pass.
        let epsilon = hyperparameters.learningRate
        let alpha = epsilon * (1 / Float(configuration.batchSize))
        let decay = epsilon * configuration.weightDecay
        let first = units.lowerBound
        let hiddenSums = UnsafePointer(workspace.hiddenBiasStatistics + first)
        let blockVelocity = velocity.weights + first, blockWeights = parameters.weights + first
        let blockOffsets = UnsafePointer(offsets.hiddenBias + first)
        let centring = BinaryProducts.Centring(rowOffsets: offsets.visibleBias, rowSums: visibleSums, columnSums: hiddenSums,
                                               columnOffsets: blockOffsets)
        if !BinaryProducts.gemmWithMomentumStep(
            m: nv, n: units.count, k: 2 * n, alpha: alpha, a: workspace.stackedVisible, lda: nv, transposeA: true,
            b: workspace.stackedHidden + first, ldb: nh, beta: hyperparameters.momentum,
            velocity: blockVelocity, ldv: nh, parameters: blockWeights, ldp: nh, decay: decay, centring: centring) {
            BLAS.gemm(m: nv, n: units.count, k: 2 * n, alpha: alpha, a: workspace.stackedVisible, lda: nv, transposeA: true,
                      b: workspace.stackedHidden + first, ldb: nh, beta: hyperparameters.momentum, c: blockVelocity, ldc: nh)
            centreDecayAndApply(units: units, alpha: alpha, decay: decay, visibleSums: visibleSums, hiddenSums: hiddenSums)
        }
        // Σ_j Δ_ij·λ_j (this block's part of b's correction) and Σ_i Δ_ij·μ_i (c's).
        BLAS.gemv(rows: nv, columns: units.count, alpha: 1, a: blockVelocity, lda: nh, x: blockOffsets, beta: 0,
                  y: scratch.rowTerms + block * nv)
        BLAS.gemv(rows: nv, columns: units.count, alpha: 1, a: blockVelocity, lda: nh, transpose: true,
                  x: offsets.visibleBias, beta: 0, y: scratch.columnTerms + first)
    }

    /// c_j ← c_j − Σ_i Δ_ij·μ_i for the block's units, after c's momentum step.
    func correctCentredHiddenBias(workspace: ShardWorkspace, units: Range<Int>) {
        let columnTerms = workspace.hiddenBlocks.columnTerms
        for j in units { parameters.hiddenBias[j] -= columnTerms[j] }
    }

    /// b_i ← b_i − Σ_b Σ_{j ∈ b} Δ_ij·λ_j, the blocks' parts added in block order; after every
    /// block's `centredBlockUpdate` (and so after b's momentum step).
    func finishCentredVisibleBias(workspace: ShardWorkspace) {
        let nv = visibleCount
        let rowTerms = workspace.hiddenBlocks.rowTerms
        for i in 0..<nv {
            var total = rowTerms[i]
            for block in 1..<configuration.hiddenBlocks { total += rowTerms[block * nv + i] }
            parameters.visibleBias[i] -= total
        }
    }

    /// Rows 0..<n_visible × columns `units` of W and Δ (Δ holding μΔ + α·G), as the sums of rows'
    /// pass does it: Δ_ij ← Δ_ij − α(μ_i·S_c_j + S_b_i·λ_j) − d·W_ij, W_ij ← W_ij + Δ_ij.
    private func centreDecayAndApply(units: Range<Int>, alpha: Float, decay: Float,
                                     visibleSums: UnsafePointer<Float>, hiddenSums: UnsafePointer<Float>) {
        guard let offsets else { return }
        let first = units.lowerBound
        for i in 0..<visibleCount {
            let mu = offsets.visibleBias[i], visibleSum = visibleSums[i]
            let velocityRow = velocity.weights + i * hiddenCount + first
            let weightRow = parameters.weights + i * hiddenCount + first
            for j in 0..<units.count {
                let value = velocityRow[j] - alpha * (mu * hiddenSums[j] + visibleSum * offsets.hiddenBias[first + j])
                let delta = value - decay * weightRow[j]
                velocityRow[j] = delta
                weightRow[j] += delta
            }
        }
    }
}
