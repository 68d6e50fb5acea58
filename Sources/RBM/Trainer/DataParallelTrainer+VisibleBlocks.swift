/// The step split by blocks of visible units (`TrainerConfiguration.visibleBlocks` = V > 1):
/// for a small minibatch in one shard, each worker owns a block of W's *rows*.
///
/// With U_p the visible units of block p and W_p = W[U_p, :] (contiguous in memory), the
/// products split without touching another block's rows of W:
///
/// - the hidden pre-activation is a sum over blocks, vW = Σ_p v[:, U_p]·W_p (n × n_hidden per
///   block: small when the batch is);
/// - the visible pre-activation of block p's units needs W_p alone, h·W_pᵀ;
/// - the statistics of block p's rows of W, G_p = [v⁰; vᵏ][:, U_p]ᵀ [P(h|v⁰); −P(h|vᵏ)], need
///   W_p's rows only, and so do their momentum update and the visible bias of U_p.
///
/// So an update of CD-k or PCD-k runs as k + 3 parallel phases over the V blocks:
///
/// 0. block p copies piece p of the data rows v⁰ (and the hidden bias c, see below);
/// 1. the partial pre-activation v⁰[:, U_p]·W_p;
/// 2. for each Gibbs step t: the partials summed in block order + c, P(h|vᵗ) = σ(·) (every
///    block computes the whole n × n_hidden: the same numbers in the same order, so every
///    block holds the same bits); hᵗ ~ P(h|start) (CD: the data's P(h|v⁰); PCD: the chains'
///    P(h|v)), drawn whole by every block from the same Philox numbers; then vᵗ⁺¹[:, U_p] ~
///    σ(b_p + hᵗ·W_pᵀ) and block p's partial of vᵗ⁺¹W;
/// 3. P(h|vᵏ) from the partials; G_p, and the update of W_p, b_p (and, block 0, c).
///
/// Nothing of W's size ever moves between cores: a worker keeps W_p and its velocity in its own
/// cache, in one contiguous piece. (Blocks of hidden units, the other split, interleave the
/// blocks within every row of W: measured on a 2-core VM at batch 5, the momentum pass over a
/// block's columns ran 6–16× slower on two cores than on one, the cores taking each other's
/// cache lines.) What crosses is small: the data rows, and the partials (n × n_hidden per
/// block, double-buffered by Gibbs step so that no block overwrites one another still reads).
///
/// The hidden bias is read by every block in every phase but updated by block 0 in the last,
/// so phase 0 copies it and the phases read the copy. Every random number is the one the
/// unsplit step draws (Philox keyed by row and unit; blocks start at multiples of 32 units);
/// the hidden pre-activations add the same terms grouped by block, so V changes the last bits
/// of a run as `shards` does, and is part of the configuration: bit-identical for any number
/// of workers. Restricted to what a small batch needs: one shard in one process, Bernoulli
/// visible units, CD or PCD, no centering.
extension DataParallelTrainer {
    /// One shard's statistics by the phases above (the shard's `weightStatistics` and bias
    /// statistics), or with `hyperparameters` the momentum update itself.
    func computeVisibleBlockedStatistics(batch: some MinibatchSource, applying hyperparameters: UpdateHyperparameters?) {
        precondition(batch.visibleCount == visibleCount,
                     "the batch has \(batch.visibleCount) visible units, the model \(visibleCount)")
        // One shard of binary units under CD or PCD, no centering: the rule book's, checked when
        // the trainer was built.
        let blocks = configuration.visibleBlocks
        let workers = configuration.workers
        func phase(_ body: @Sendable (_ block: Int) -> Void) {
            DataParallel.forEach(items: blocks, workers: workers, body)
        }
        phase { block in self.copyDataRowsAndHiddenBias(piece: block, batch: batch) }
        phase { block in self.hiddenPartial(block: block, visibleRows: 0, parity: 0) }
        for gibbsStep in 0..<configuration.gibbsSteps {
            phase { block in self.gibbsStepOfVisibleBlock(block, gibbsStep: gibbsStep) }
        }
        phase { block in self.statisticsOfVisibleBlock(block, applying: hyperparameters) }
    }

    private var visibleBlockWorkspace: ShardWorkspace { workspaces[0] }

    /// Phase 0: piece `piece` of the data rows v⁰; block 0 also copies c.
    private func copyDataRowsAndHiddenBias(piece: Int, batch: some MinibatchSource) {
        let workspace = visibleBlockWorkspace
        if piece == 0 {
            workspace.visibleBlocks.hiddenBias.update(from: parameters.hiddenBias, count: hiddenCount)
        }
        let rows = evenPiece(of: workspace.rows, parts: configuration.visibleBlocks, index: piece)
        guard !rows.isEmpty else { return }
        batch.copyRows(rows, into: workspace.stackedVisible + rows.lowerBound * visibleCount)
    }

    /// Block `block`'s part of the hidden pre-activations of the visible rows starting at row
    /// `visibleRows` of `stackedVisible` (0: v⁰; n: the chains' vᵗ), into partial buffer `parity`.
    private func hiddenPartial(block: Int, visibleRows: Int, parity: Int) {
        let workspace = visibleBlockWorkspace
        let units = configuration.visibleUnits(ofBlock: block, visibleCount: visibleCount)
        let n = workspace.rows
        BLAS.gemm(m: n, n: hiddenCount, k: units.count,
                  a: workspace.stackedVisible + visibleRows * visibleCount + units.lowerBound, lda: visibleCount,
                  b: parameters.weights + units.lowerBound * hiddenCount, ldb: hiddenCount,
                  c: workspace.visibleBlocks.partial(parity: parity, block: block), ldc: hiddenCount)
    }

    /// σ(Σ_q partial_q + c) in block order, into `output` (n × n_hidden): the same bits in
    /// every block.
    private func hiddenProbabilitiesFromPartials(parity: Int, into output: UnsafeMutablePointer<Float>) {
        let scratch = visibleBlockWorkspace.visibleBlocks
        let count = visibleBlockWorkspace.rows * hiddenCount
        output.update(from: scratch.partial(parity: parity, block: 0), count: count)
        for block in 1..<configuration.visibleBlocks {
            ParameterUpdate.add(scratch.partial(parity: parity, block: block), into: output, count: count)
        }
        Logistic.applyWithBias(output, rows: visibleBlockWorkspace.rows, columns: hiddenCount,
                               bias: scratch.hiddenBias)
    }

    /// Phase 2, Gibbs step t, block p: P(h|vᵗ); hᵗ; vᵗ⁺¹[:, U_p] and its partial of vᵗ⁺¹W.
    private func gibbsStepOfVisibleBlock(_ block: Int, gibbsStep: Int) {
        let workspace = visibleBlockWorkspace
        let scratch = workspace.visibleBlocks
        let n = workspace.rows
        let nv = visibleCount
        let nh = hiddenCount
        let units = configuration.visibleUnits(ofBlock: block, visibleCount: nv)
        let ownHidden = scratch.hidden(block: block)
        // P(h|v⁰) above (kept for the statistics) at t = 0, P(h|vᵗ) below after.
        let probabilities = gibbsStep == 0 ? ownHidden : ownHidden + n * nh
        hiddenProbabilitiesFromPartials(parity: gibbsStep % 2, into: probabilities)
        let start = gibbsStep == 0 ? chains.map { UnsafePointer($0.hiddenProbabilities) } ?? UnsafePointer(probabilities)
                                   : UnsafePointer(probabilities)
        let samples = scratch.samples(block: block)
        let hiddenStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .hidden)
        GibbsHalfStep.drawBernoulli(hiddenStream, rows: n, stride: nh, units: 0..<nh, streamRow: { $0 },
                                    probabilities: start, into: samples)
        // vᵗ⁺¹[:, U_p] ~ σ(b_p + hᵗ·W_pᵀ), into the negative rows of `stackedVisible`.
        let negativeVisible = workspace.stackedVisible + n * nv + units.lowerBound
        BLAS.gemm(m: n, n: units.count, k: nh, a: samples, lda: nh,
                  b: parameters.weights + units.lowerBound * nh, ldb: nh, transposeB: true,
                  c: negativeVisible, ldc: nv)
        let visibleStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .visible)
        for r in 0..<n {
            Logistic.applyWithBias(negativeVisible + r * nv, rows: 1, columns: units.count, bias: parameters.visibleBias + units.lowerBound)
        }
        let negativeRows = workspace.stackedVisible + n * nv
        GibbsHalfStep.drawBernoulli(visibleStream, rows: n, stride: nv, units: units, streamRow: { $0 },
                                    probabilities: negativeRows, into: negativeRows)
        hiddenPartial(block: block, visibleRows: n, parity: (gibbsStep + 1) % 2)
    }

    /// Phase 3, block p: P(h|vᵏ); the chains keep vᵏ[:, U_p] (block 0: P(h|vᵏ)); G_p and the
    /// visible bias statistic of U_p (block 0: the hidden bias statistic); in place, the
    /// momentum update of W_p and b_p (block 0: c).
    private func statisticsOfVisibleBlock(_ block: Int, applying hyperparameters: UpdateHyperparameters?) {
        let workspace = visibleBlockWorkspace
        let scratch = workspace.visibleBlocks
        let n = workspace.rows
        let nv = visibleCount
        let nh = hiddenCount
        let units = configuration.visibleUnits(ofBlock: block, visibleCount: nv)
        let stackedHidden = scratch.hidden(block: block)
        let negativeHidden = stackedHidden + n * nh
        hiddenProbabilitiesFromPartials(parity: configuration.gibbsSteps % 2, into: negativeHidden)
        if let chains {
            for r in 0..<n {
                (chains.visible + r * nv + units.lowerBound)
                    .update(from: workspace.stackedVisible + (n + r) * nv + units.lowerBound, count: units.count)
            }
            if block == 0 { chains.hiddenProbabilities.update(from: negativeHidden, count: n * nh) }
        }
        for index in 0..<(n * nh) { negativeHidden[index] = -negativeHidden[index] }
        // G_p = [v⁰; vᵏ][:, U_p]ᵀ [P(h|v⁰); −P(h|vᵏ)]: rows U_p of W's statistic (in place: the
        // update of W_p, one pass over its contiguous rows).
        weightStatistics(rows: units, units: 0..<nh, stackedRows: 2 * n, stackedVisible: workspace.stackedVisible,
                         stackedHidden: stackedHidden, into: workspace.weightStatistics, applying: hyperparameters)
        BLAS.weightedRowSum(rows: 2 * n, columns: units.count, a: workspace.stackedVisible + units.lowerBound,
                            lda: nv, weights: workspace.visibleSigns,
                            into: workspace.visibleBiasStatistics + units.lowerBound)
        if block == 0 {
            BLAS.weightedRowSum(rows: 2 * n, columns: nh, a: stackedHidden, weights: workspace.ones,
                                into: workspace.hiddenBiasStatistics)
        }
        guard let hyperparameters else { return }
        biasMomentumStep(.visible, units: units, statistics: workspace, hyperparameters: hyperparameters)
        if block == 0 {
            biasMomentumStep(.hidden, units: 0..<nh, statistics: workspace, hyperparameters: hyperparameters)
        }
    }
}

/// The visible-block step's own buffers (one shard): each block's copy of the hidden side, the
/// partial hidden pre-activations (two sets, by Gibbs step parity), and the hidden bias as the
/// update found it.
final class VisibleBlockScratch: @unchecked Sendable {
    let rows: Int
    let hiddenCount: Int
    let blocks: Int
    /// Per block: P(h|v⁰) above −P(h|vᵏ) (2n × n_hidden).
    private let hiddenStacks: UnsafeMutablePointer<Float>
    /// Per block: the hidden samples (n × n_hidden).
    private let hiddenSamples: UnsafeMutablePointer<Float>
    /// [parity][block]: n × n_hidden each.
    private let partials: UnsafeMutablePointer<Float>
    let hiddenBias: UnsafeMutablePointer<Float>

    init(rows: Int, hiddenCount: Int, blocks: Int) {
        self.rows = rows
        self.hiddenCount = hiddenCount
        self.blocks = blocks
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        // Each block's buffers start on their own cache lines (rows × n_hidden rounded up to 16 floats).
        hiddenStacks = allocate(blocks * Self.padded(2 * rows * hiddenCount))
        hiddenSamples = allocate(blocks * Self.padded(rows * hiddenCount))
        partials = allocate(2 * blocks * Self.padded(rows * hiddenCount))
        hiddenBias = allocate(hiddenCount)
    }

    static func padded(_ count: Int) -> Int { (count + 15) / 16 * 16 }

    func hidden(block: Int) -> UnsafeMutablePointer<Float> { hiddenStacks + block * Self.padded(2 * rows * hiddenCount) }
    func samples(block: Int) -> UnsafeMutablePointer<Float> { hiddenSamples + block * Self.padded(rows * hiddenCount) }
    func partial(parity: Int, block: Int) -> UnsafeMutablePointer<Float> {
        partials + (parity * blocks + block) * Self.padded(rows * hiddenCount)
    }

    deinit {
        hiddenStacks.deallocateCacheAligned()
        hiddenSamples.deallocateCacheAligned()
        partials.deallocateCacheAligned()
        hiddenBias.deallocateCacheAligned()
    }
}
