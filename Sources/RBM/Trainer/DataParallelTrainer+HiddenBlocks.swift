/// The step split two ways: shards of minibatch rows × blocks of hidden units
/// (`TrainerConfiguration.hiddenBlocks` = H > 1).
///
/// The products with W are what an update costs, and each can be cut by W's columns: with W_b
/// the columns of hidden block b, P(h|v)_b = σ(v·W_b + c_b) needs W_b alone, and the visible
/// pre-activation is a sum over blocks, h·Wᵀ = Σ_b h_b·W_bᵀ. So one update of CD-k, PCD-k or
/// FPCD-k runs as 2k + 2 parallel phases over items (shard s, piece p), p < H:
///
/// 0. *rows*: piece p of the shard's rows copies its data rows v⁰;
/// 1. *blocks*: P(h|v⁰)_b = σ(v⁰W_b + c_b); h_b ~ P(h|start)_b (CD: the data's P(h|v⁰); PCD:
///    the chains' P(h|v)); and block b's part of the visible pre-activation, h_b·W_bᵀ;
/// 2. for each Gibbs step t, *rows*: the parts summed in block order, + b, P(v|h) and
///    vᵗ⁺¹ ~ P(v|h) for piece p of the rows;
/// 3. and *blocks*: P(h|vᵗ⁺¹)_b; then the next h_b and its part of h·Wᵀ or, after the last
///    step, block b's columns of the statistics, G_b = [v⁰; vᵏ]ᵀ [P(h|v⁰)_b; −P(h|vᵏ)_b], and
///    Σ P(h|·)_b.
///
/// Only the visible pre-activation is summed across blocks (n × n_visible per block, in block
/// order); nothing of W's size is. Item (s, b) is item s·H + b, so with H workers worker b
/// always holds block b: W_b is read by one core only, and stays in its cache between phases.
/// Every random number is the one the unsplit step draws (Philox keyed by row and unit, blocks
/// starting at multiples of 32), and the statistics and P(h|·) are the same dot products; the
/// visible pre-activations add the same terms grouped by block, so H changes the last bits of
/// a run as `shards` does — and, like `shards`, it is part of the configuration: the result is
/// bit-identical for any number of workers.
///
/// With one shard in one process and no fast weights or clipping, the last phase also applies
/// the momentum update to W_b and c_b (block 0's item: the visible bias): the statistics are
/// already the totals, so there is nothing to reduce, and W's statistic is never stored — the
/// GEMM writes the new velocity (ε/B)·G_b + μΔ_b directly (with centering, each block centres its
/// own columns: `DataParallelTrainer+CentredBlocks.swift`).
extension DataParallelTrainer {
    /// Every local shard's statistics by the phases above; with `hyperparameters` (only when
    /// the plan applies the update in place), the update as well.
    func computeBlockedStatistics(batch: some MinibatchSource, applying hyperparameters: UpdateHyperparameters?) {
        precondition(hyperparameters == nil || plan.update == .inPlace)
        precondition(batch.visibleCount == visibleCount,
                     "the batch has \(batch.visibleCount) visible units, the model \(visibleCount)")
        let blocks = configuration.hiddenBlocks
        let firstShard = localShards.lowerBound
        let items = localShards.count * blocks
        let workers = configuration.workers
        func phase(_ body: @Sendable (_ shard: Int, _ piece: Int) -> Void) {
            DataParallel.forEach(items: items, workers: workers) { item in
                body(firstShard + item / blocks, item % blocks)
            }
        }
        phase { shard, piece in self.copyDataRows(shard: shard, piece: piece, batch: batch) }
        phase { shard, block in self.dataHiddenBlock(shard: shard, block: block) }
        for gibbsStep in 0..<configuration.gibbsSteps {
            phase { shard, piece in self.sampleVisiblePiece(shard: shard, piece: piece, gibbsStep: gibbsStep) }
            phase { shard, block in
                self.negativeHiddenBlock(shard: shard, block: block, gibbsStep: gibbsStep,
                                         applying: hyperparameters)
            }
        }
        if hyperparameters != nil && offsets != nil { finishCentredVisibleBias(workspace: workspaces[0]) }
    }

    /// Piece `piece` of shard `shard`'s rows, as offsets within the shard.
    private func rowPiece(_ piece: Int, ofShard shard: Int) -> Range<Int> {
        evenPiece(of: configuration.rows(ofShard: shard).count, parts: configuration.hiddenBlocks, index: piece)
    }

    private func workspace(ofShard shard: Int) -> ShardWorkspace { workspaces[shard - localShards.lowerBound] }

    /// Phase 0: v⁰ for piece `piece` of the shard's rows.
    private func copyDataRows(shard: Int, piece: Int, batch: some MinibatchSource) {
        let rows = rowPiece(piece, ofShard: shard)
        guard !rows.isEmpty else { return }
        let first = configuration.rows(ofShard: shard).lowerBound
        batch.copyRows((first + rows.lowerBound)..<(first + rows.upperBound),
                       into: workspace(ofShard: shard).stackedVisible + rows.lowerBound * visibleCount)
    }

    /// out[:, units] = σ(v·W[:, units] + c[units]) over `rows` rows; `out`'s rows are n_hidden apart.
    private func hiddenProbabilities(visible: UnsafePointer<Float>, rows: Int, weights: UnsafePointer<Float>,
                                     hiddenBias: UnsafePointer<Float>, units: Range<Int>,
                                     into output: UnsafeMutablePointer<Float>) {
        let nh = hiddenCount
        BLAS.gemm(m: rows, n: units.count, k: visibleCount, a: visible, lda: visibleCount,
                  b: weights + units.lowerBound, ldb: nh, c: output + units.lowerBound, ldc: nh)
        for row in 0..<rows {
            Logistic.applyWithBias(output + row * nh + units.lowerBound, rows: 1, columns: units.count,
                                   bias: hiddenBias + units.lowerBound)
        }
    }

    /// h[:, units] ~ Bernoulli(probabilities[:, units]) for the shard's rows, from the hidden
    /// half of Gibbs step `gibbsStep` (the numbers the unsplit shard draws for these units).
    private func sampleHidden(shard: Int, units: Range<Int>, probabilities: UnsafePointer<Float>, gibbsStep: Int) {
        let rowRange = configuration.rows(ofShard: shard)
        let samples = workspace(ofShard: shard).hiddenSamples
        let stream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .hidden)
        GibbsHalfStep.drawBernoulli(stream, rows: rowRange.count, stride: hiddenCount, units: units,
                                    streamRow: { rowRange.lowerBound + $0 }, probabilities: probabilities, into: samples)
    }

    /// Block `block`'s part of the visible pre-activations, h_b·W_bᵀ (FPCD: of θ + θ_f).
    private func visiblePart(shard: Int, block: Int, units: Range<Int>) {
        let workspace = workspace(ofShard: shard)
        let n = workspace.rows
        BLAS.gemm(m: n, n: visibleCount, k: units.count, a: workspace.hiddenSamples + units.lowerBound, lda: hiddenCount,
                  b: samplingParameters.weights + units.lowerBound, ldb: hiddenCount, transposeB: true,
                  c: workspace.hiddenBlocks.visiblePartials + block * n * visibleCount, ldc: visibleCount)
    }

    /// Phase 1: P(h|v⁰) for block `block`, the first hidden samples of the chains and their
    /// part of h·Wᵀ, and (centering) the block's Σ P(h|v⁰).
    private func dataHiddenBlock(shard: Int, block: Int) {
        let workspace = workspace(ofShard: shard)
        let rowRange = configuration.rows(ofShard: shard)
        let n = rowRange.count
        let units = configuration.hiddenUnits(ofBlock: block, hiddenCount: hiddenCount)
        hiddenProbabilities(visible: workspace.stackedVisible, rows: n, weights: parameters.weights,
                            hiddenBias: parameters.hiddenBias, units: units, into: workspace.stackedHidden)
        let start = chains.map { UnsafePointer($0.hiddenProbabilities + rowRange.lowerBound * hiddenCount) }
            ?? UnsafePointer(workspace.stackedHidden)
        sampleHidden(shard: shard, units: units, probabilities: start, gibbsStep: 0)
        visiblePart(shard: shard, block: block, units: units)
        if let dataHiddenSums = workspace.dataHiddenSums {
            BLAS.weightedRowSum(rows: n, columns: units.count, a: workspace.stackedHidden + units.lowerBound,
                                lda: hiddenCount, weights: workspace.ones, into: dataHiddenSums + units.lowerBound)
        }
    }

    /// Phase 2: vᵗ⁺¹ ~ P(v|h) for piece `piece` of the shard's rows, from the blocks' parts of
    /// h·Wᵀ summed in block order (FPCD: with b + b_f); after the last step, PCD's chains keep
    /// these rows.
    private func sampleVisiblePiece(shard: Int, piece: Int, gibbsStep: Int) {
        let rows = rowPiece(piece, ofShard: shard)
        guard !rows.isEmpty else { return }
        let workspace = workspace(ofShard: shard)
        let rowRange = configuration.rows(ofShard: shard)
        let nv = visibleCount
        let n = rowRange.count
        let negativeVisible = workspace.stackedVisible + (n + rows.lowerBound) * nv
        let partials = workspace.hiddenBlocks.visiblePartials + rows.lowerBound * nv
        let count = rows.count * nv
        negativeVisible.update(from: partials, count: count)
        for block in 1..<configuration.hiddenBlocks {
            ParameterUpdate.add(partials + block * n * nv, into: negativeVisible, count: count)
        }
        RBMKernels.visibleMeans(units: visibleUnits, preactivations: negativeVisible, rows: rows.count,
                                visibleBias: samplingParameters.visibleBias, visibleCount: nv)
        let stream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .visible)
        GibbsHalfStep.drawVisible(visibleUnits, stream, rows: rows.count, count: nv,
                                  streamRow: { rowRange.lowerBound + rows.lowerBound + $0 }, means: negativeVisible, into: negativeVisible)
        if let chains, gibbsStep == configuration.gibbsSteps - 1 {
            (chains.visible + (rowRange.lowerBound + rows.lowerBound) * nv).update(from: negativeVisible,
                                                                                  count: rows.count * nv)
        }
    }

    /// Phase 3: P(h|vᵗ⁺¹) for block `block`; then the next hidden samples and their part of
    /// h·Wᵀ, or after the last Gibbs step the block's statistics (and, in place, its update).
    private func negativeHiddenBlock(shard: Int, block: Int, gibbsStep: Int,
                                     applying hyperparameters: UpdateHyperparameters?) {
        let workspace = workspace(ofShard: shard)
        let rowRange = configuration.rows(ofShard: shard)
        let n = rowRange.count
        let nv = visibleCount
        let nh = hiddenCount
        let units = configuration.hiddenUnits(ofBlock: block, hiddenCount: nh)
        let negativeHidden = workspace.stackedHidden + n * nh
        hiddenProbabilities(visible: workspace.stackedVisible + n * nv, rows: n,
                            weights: samplingParameters.weights,
                            hiddenBias: samplingParameters.hiddenBias,
                            units: units, into: negativeHidden)
        guard gibbsStep == configuration.gibbsSteps - 1 else {
            sampleHidden(shard: shard, units: units, probabilities: negativeHidden, gibbsStep: gibbsStep + 1)
            visiblePart(shard: shard, block: block, units: units)
            return
        }
        for r in 0..<n {
            let row = negativeHidden + r * nh + units.lowerBound
            if let chains {
                (chains.hiddenProbabilities + (rowRange.lowerBound + r) * nh + units.lowerBound)
                    .update(from: row, count: units.count)
            }
            for j in 0..<units.count { row[j] = -row[j] }
        }
        // Σ_rows [P(h|v⁰)_b; −P(h|vᵏ)_b] and (block 0) Σ(v⁰ − vᵏ): the bias statistics.
        BLAS.weightedRowSum(rows: 2 * n, columns: units.count, a: workspace.stackedHidden + units.lowerBound,
                            lda: nh, weights: workspace.ones, into: workspace.hiddenBiasStatistics + units.lowerBound)
        if block == 0 {
            BLAS.weightedRowSum(rows: 2 * n, columns: nv, a: workspace.stackedVisible,
                                weights: workspace.visibleSigns, into: workspace.visibleBiasStatistics)
        }
        if let hyperparameters, offsets != nil {
            // Centred, in place: the block's offsets and W_b (`DataParallelTrainer+CentredBlocks.swift`).
            centredWeightUpdate(workspace: workspace, block: block, units: units, hyperparameters: hyperparameters)
        } else {
            // G_b = [v⁰; vᵏ]ᵀ [P(h|v⁰)_b; −P(h|vᵏ)_b] (in place: the update of W_b).
            weightStatistics(rows: 0..<nv, units: units, stackedRows: 2 * n, stackedVisible: workspace.stackedVisible,
                             stackedHidden: workspace.stackedHidden, into: workspace.weightStatistics,
                             applying: hyperparameters)
        }
        guard let hyperparameters else { return }
        // The biases in place by the momentum rule from their statistics (W's is done above).
        biasMomentumStep(.hidden, units: units, statistics: workspace, hyperparameters: hyperparameters)
        if offsets != nil { correctCentredHiddenBias(workspace: workspace, units: units) }
        if block == 0 {
            biasMomentumStep(.visible, units: 0..<nv, statistics: workspace, hyperparameters: hyperparameters)
        }
    }
}
