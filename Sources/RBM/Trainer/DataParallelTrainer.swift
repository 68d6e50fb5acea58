/// The data-parallel CD-k / PCD-k trainer.
///
/// One update runs in two phases, both parallel sections on `training.workers` threads
/// (`DataParallel.forEach`):
///
/// 1. **Shards.** The minibatch is cut into `shards` pieces (a property of the configuration,
///    not of the machine). Each shard reads its rows, runs its Gibbs chains and computes its
///    positive and negative statistics with single-threaded BLAS into its own buffers.
/// 2. **Reduce and update.** The shard statistics are summed in a fixed pairwise tree over
///    shard index, element by element, split across workers by rows of W, and the momentum
///    update is applied in the same pass:
///
///        g = (1/B)·Σ_shards G_s − λW,   Δ ← μΔ + ε·g,   W ← W + Δ
///
///    (biases the same, without decay).
///
/// Every random number is Philox keyed by (seed, step, chain row, Gibbs half-step, unit), so the
/// result is bit-identical for any number of workers.
///
/// **Hidden blocks.** With `hiddenBlocks` > 1 phase 1 is itself split by blocks of hidden units
/// (see `DataParallelTrainer+HiddenBlocks.swift`), and with one shard the update is applied
/// block by block inside it, so phase 2 disappears.
///
/// **Visible blocks.** With `visibleBlocks` > 1 (one shard: a small batch) the step is split by
/// blocks of W's rows instead, each applied in place by the worker that owns it (see
/// `DataParallelTrainer+VisibleBlocks.swift`).
///
/// **Ranks.** Under several processes (`RankGroup`, MPI) each rank computes a contiguous range
/// of the shards. The statistics are then cut into one contiguous piece per rank; rank j
/// receives piece j of every other rank's shards, sums all shards' piece j in the same tree
/// over shard index one process uses, and the pieces of the total are gathered on every rank,
/// which applies the same update. Each element sees the same additions in the same order as in
/// one process, so the weights are bit-identical for any ranks × workers.
public final class DataParallelTrainer: @unchecked Sendable {
    public let configuration: TrainerConfiguration
    /// How every update runs, resolved once from the configuration and the ranks.
    public let plan: StepPlan
    public let visibleCount: Int
    public let hiddenCount: Int
    public let visibleUnits: VisibleUnits
    public private(set) var step: Int

    let parameters: ParameterBuffers
    let velocity: ParameterBuffers
    let chains: PersistentChains?
    /// This rank's shards' buffers, in shard order (all shards in a single process).
    let workspaces: [ShardWorkspace]
    /// The processes the shards are spread over, and the shards this one computes.
    public let ranks: any RankGroup
    public let localShards: Range<Int>
    /// FPCD: the fast parameters θ_f, and θ + θ_f, which the chains sample from (refreshed
    /// before every update; see `samplingParameters`).
    let fast: ParameterBuffers?
    let parametersWithFast: ParameterBuffers?

    /// The parameters the negative phase's chains sample from: θ + θ_f under FPCD, θ otherwise.
    var samplingParameters: ParameterBuffers { parametersWithFast ?? parameters }
    /// Centering: μ (fixed) and λ (updated every step), n_visible and n_hidden floats.
    let offsets: ParameterBuffers?
    /// Learned variances: z = log σ², its velocity and 1/σ (`RBMModel+LearnedVariance.swift`).
    let variances: VarianceBuffers?
    /// Parallel tempering: swaps attempted and accepted per neighbouring pair of temperatures
    /// (pair t is β_t ↔ β_{t+1}), since `resetSwapCounts()`; summed over this rank's shards.
    public internal(set) var swapAttempts: [Int]
    public internal(set) var swapAcceptances: [Int]
    /// Adjusted Langevin: proposals made and accepted since `takeLangevinAcceptanceRate()`,
    /// summed over this rank's shards.
    public internal(set) var langevinProposals = 0
    public internal(set) var langevinAcceptances = 0
    /// Several ranks only: what this rank has sent and waited for so far.
    public internal(set) var communication = CommunicationCounters()
    /// Several ranks only: the other ranks' pieces of their shards' statistics (one slot per
    /// shard) and the summed statistics, whole.
    let receivedPieces: UnsafeMutablePointer<Float>?
    let totalStatistics: UnsafeMutablePointer<Float>?
    /// Rows of W reduced and updated together by one work item.
    let rowsPerBlock = 32
    /// Workers for the reduction: one per `reductionElementsPerWorker` elements summed, at most
    /// `workers`. Waking a second thread costs about as much as it saves below that size
    /// (measured: 784×500 with 2 shards reduces in ~0.1 ms on one thread, and not faster on
    /// two). The split is elementwise, so the count never changes a bit of the result.
    var reductionWorkers: Int {
        let elements = configuration.shards * (visibleCount + 1) * hiddenCount
        return max(1, min(configuration.workers, elements / Self.reductionElementsPerWorker))
    }
    static let reductionElementsPerWorker = 1 << 21

    public convenience init(model: RBMModel, configuration: TrainerConfiguration,
                            ranks: any RankGroup = SingleProcess()) {
        self.init(state: TrainerState.initial(model: model, configuration: configuration),
                  configuration: configuration, ranks: ranks)
    }

    public init(state: TrainerState, configuration: TrainerConfiguration, ranks: any RankGroup = SingleProcess()) {
        // The rule book (`TrainerConfiguration.problems`): callers have checked it already, with
        // messages naming the config keys; here a broken rule is a programming error.
        if let problem = configuration.problems(visibleCount: state.model.visibleCount, hiddenCount: state.model.hiddenCount,
                                                visibleUnits: state.model.visibleUnits, ranks: ranks.size).first {
            preconditionFailure(problem.description)
        }
        self.ranks = ranks
        plan = StepPlan(configuration, ranks: ranks.size)
        localShards = configuration.shards(ofRank: ranks.rank, ranks: ranks.size)
        let model = state.model
        self.configuration = configuration
        visibleCount = model.visibleCount
        visibleUnits = model.visibleUnits
        hiddenCount = model.hiddenCount
        step = state.step
        parameters = ParameterBuffers(weights: model.weights, visibleBias: model.visibleBias,
                                      hiddenBias: model.hiddenBias)
        velocity = ParameterBuffers(weights: state.weightVelocity,
                                    visibleBias: state.visibleBiasVelocity,
                                    hiddenBias: state.hiddenBiasVelocity)
        let initial = TrainerState.initial(model: model, configuration: configuration)
        if configuration.sampler.isPersistent {
            let chainCount = configuration.batchSize * configuration.chainsPerRow
            let visible = state.chainVisible ?? initial.chainVisible!
            let hidden = state.chainHiddenProbabilities ?? initial.chainHiddenProbabilities!
            precondition(visible.count == chainCount * visibleCount && hidden.count == chainCount * hiddenCount,
                         "persistent chains must be batch size × chains per row × units")
            chains = PersistentChains(visible: visible, hiddenProbabilities: hidden)
        } else {
            chains = nil
        }
        if configuration.sampler == .fastPersistentContrastiveDivergence {
            let fastState = state.fastParameters ?? initial.fastParameters!
            fast = ParameterBuffers(weights: fastState.weights, visibleBias: fastState.visibleBias,
                                    hiddenBias: fastState.hiddenBias)
            parametersWithFast = ParameterBuffers(weights: model.weights, visibleBias: model.visibleBias,
                                                  hiddenBias: model.hiddenBias)
        } else {
            fast = nil
            parametersWithFast = nil
        }
        if configuration.centering {
            offsets = ParameterBuffers(weights: [], visibleBias: state.visibleOffsets ?? initial.visibleOffsets!,
                                       hiddenBias: state.hiddenOffsets ?? initial.hiddenOffsets!)
        } else {
            offsets = nil
        }
        precondition(configuration.learnsVariance || model.visibleLogVariance == nil,
                     "a model with learned variances trains with learnsVariance")
        if configuration.learnsVariance {
            variances = VarianceBuffers(logVariance: model.visibleLogVariance ?? initial.model.visibleLogVariance!,
                                        velocity: state.logVarianceVelocity ?? initial.logVarianceVelocity!)
        } else {
            variances = nil
        }
        let pairs = max(0, configuration.chainsPerRow - 1)
        swapAttempts = [Int](repeating: 0, count: pairs)
        swapAcceptances = [Int](repeating: 0, count: pairs)
        let plan = plan
        workspaces = localShards.map { shard in
            ShardWorkspace(rows: configuration.rows(ofShard: shard).count,
                           visibleCount: model.visibleCount, hiddenCount: model.hiddenCount,
                           dataHiddenSums: configuration.centering, varianceStatistics: configuration.learnsVariance,
                           langevin: configuration.langevinSteps > 0, adjustedLangevin: configuration.langevinAdjusted,
                           layoutScratch: LayoutScratch(plan, configuration: configuration, rows: configuration.rows(ofShard: shard).count,
                                                        visibleCount: model.visibleCount, hiddenCount: model.hiddenCount))
        }
        if ranks.size > 1 {
            let count = workspaces[0].statisticsCount
            let piece = evenPiece(of: count, parts: ranks.size, index: 0).count
            receivedPieces = .allocate(capacity: configuration.shards * piece)
            receivedPieces?.initialize(repeating: 0, count: configuration.shards * piece)
            totalStatistics = .allocate(capacity: count)
            totalStatistics?.initialize(repeating: 0, count: count)
        } else {
            receivedPieces = nil
            totalStatistics = nil
        }
        BLAS.useSingleThread()
    }

    /// The current parameters, copied out.
    public var model: RBMModel {
        var model = RBMModel(visibleCount: visibleCount, hiddenCount: hiddenCount,
                             weights: parameters.weightsArray, visibleBias: parameters.visibleBiasArray,
                             hiddenBias: parameters.hiddenBiasArray)
        model.visibleUnits = visibleUnits
        model.visibleLogVariance = variances?.logVarianceArray
        return model
    }

    deinit {
        receivedPieces?.deallocate()
        totalStatistics?.deallocate()
    }

    /// Everything needed to continue training exactly, copied out. Under several ranks this is
    /// collective (each rank's persistent chains are gathered): every rank must ask for it.
    public var state: TrainerState {
        gatherChains()
        var state = TrainerState(model: model, weightVelocity: velocity.weightsArray,
                                 visibleBiasVelocity: velocity.visibleBiasArray,
                                 hiddenBiasVelocity: velocity.hiddenBiasArray, step: step,
                                 chainVisible: chains?.visibleArray,
                                 chainHiddenProbabilities: chains?.hiddenArray)
        state.fastParameters = fast.map {
            FastParameters(weights: $0.weightsArray, visibleBias: $0.visibleBiasArray, hiddenBias: $0.hiddenBiasArray)
        }
        state.visibleOffsets = offsets?.visibleBiasArray
        state.hiddenOffsets = offsets?.hiddenBiasArray
        state.logVarianceVelocity = variances?.velocityArray
        return state
    }

    /// One training update on a minibatch of exactly `configuration.batchSize` rows: the
    /// statistics by the plan's layout, then the update by its mode.
    public func update(batch: some MinibatchSource, hyperparameters: UpdateHyperparameters) {
        refreshNegativeParameters()
        switch plan.update {
        case .inPlace:
            computeStatistics(batch: batch, applying: hyperparameters)
        case .reduceAndApply:
            computeStatistics(batch: batch, applying: nil)
            reduce(applying: hyperparameters)
        case .fromTotals:
            computeStatistics(batch: batch, applying: nil)
            reduce(applying: nil)
            applyUpdate(totals: workspaces[0].statistics, hyperparameters: hyperparameters)
        case .acrossRanks:
            computeStatistics(batch: batch, applying: nil)
            reduceAcrossRanks(applying: hyperparameters)
        }
        step += 1
    }

    /// The gradient estimate this update would use, without changing the parameters.
    /// It still advances the step counter and, for PCD, the persistent chains, exactly as
    /// `update` does, so successive calls walk the chains forward.
    public func estimateGradient(batch: some MinibatchSource) -> ParameterGradient {
        precondition(ranks.size == 1, "estimateGradient runs in a single process")
        refreshNegativeParameters()
        computeStatistics(batch: batch, applying: nil)
        reduce(applying: nil)
        step += 1
        let scale = 1 / Float(configuration.batchSize)
        let total = workspaces[0]
        var gradient = ParameterGradient(
            weights: (0..<(visibleCount * hiddenCount)).map { total.weightStatistics[$0] * scale },
            visibleBias: (0..<visibleCount).map { total.visibleBiasStatistics[$0] * scale },
            hiddenBias: (0..<hiddenCount).map { total.hiddenBiasStatistics[$0] * scale })
        gradient.visibleLogVariance = total.varianceStatistics.map { statistics in
            (0..<visibleCount).map { ParameterUpdate.logVarianceGradient(statistic: statistics[$0], scale: scale) }
        }
        return gradient
    }

    // MARK: Phase 1: shard statistics

    /// Every local shard's statistics by the plan's layout; with `hyperparameters` (the
    /// `inPlace` mode only) the layout applies the update as well.
    private func computeStatistics(batch: some MinibatchSource, applying hyperparameters: UpdateHyperparameters?) {
        switch plan.layout {
        case .rowShards:
            precondition(hyperparameters == nil, "row shards are summed before the update")
            computeRowShardStatistics(batch: batch)
        case .hiddenBlocks:
            computeBlockedStatistics(batch: batch, applying: hyperparameters)
        case .visibleBlocks:
            computeVisibleBlockedStatistics(batch: batch, applying: hyperparameters)
        }
    }

    /// One work item per shard: `computeStatistics(ofShard:)` on each.
    private func computeRowShardStatistics(batch: some MinibatchSource) {
        precondition(batch.visibleCount == visibleCount,
                     "the batch has \(batch.visibleCount) visible units, the model \(visibleCount)")
        let transfer = UnsafeTransfer((self, batch))
        let firstShard = localShards.lowerBound
        DataParallel.forEach(items: localShards.count, workers: configuration.workers) { index in
            let (trainer, batch) = transfer.value
            trainer.computeStatistics(ofShard: firstShard + index, batch: batch)
        }
        if configuration.chainsPerRow > 1 { collectSwapCounts() }
        if configuration.langevinAdjusted {
            for workspace in workspaces {
                langevinProposals += workspace.langevinProposals
                langevinAcceptances += workspace.langevinAcceptances
            }
        }
    }

    /// One shard's positive and negative statistics: the data's P(h|v⁰), the negative phase
    /// (`runChains` for CD/PCD/FPCD, `runTemperedChains` for PT) and the statistics GEMM, read
    /// top to bottom as the algorithm, on the shard's own buffers.
    func computeStatistics(ofShard shard: Int, batch: some MinibatchSource) {
        let workspace = workspaces[shard - localShards.lowerBound]
        let rowRange = configuration.rows(ofShard: shard)
        let n = rowRange.count
        let nv = visibleCount
        let nh = hiddenCount
        let w = UnsafePointer(parameters.weights)
        let c = UnsafePointer(parameters.hiddenBias)
        let dataVisible = workspace.stackedVisible
        let dataHidden = workspace.stackedHidden
        let negativeHidden = workspace.stackedHidden + n * nh

        // Positive phase: v⁰ from the data (as u = v/σ with learned variances), P(h|v⁰) = σ(v⁰W + c).
        batch.copyRows(rowRange, into: dataVisible)
        if let variances { Self.scale(rows: n, columns: nv, dataVisible, by: variances.inverseStandardDeviations) }
        RBMKernels.hiddenProbabilities(visible: dataVisible, rows: n, weights: w, hiddenBias: c,
                                       visibleCount: nv, hiddenCount: nh, into: dataHidden)

        if configuration.sampler == .parallelTempering {
            runTemperedChains(workspace: workspace, rows: rowRange)
        } else if configuration.langevinSteps > 0 {
            runLangevinChains(workspace: workspace, rows: rowRange)
        } else {
            runChains(workspace: workspace, rows: rowRange, start: UnsafePointer(dataHidden))
        }
        // Centering: Σ P(h|v⁰) over the data rows, for the hidden offsets' moving average.
        if let dataHiddenSums = workspace.dataHiddenSums {
            BLAS.weightedRowSum(rows: n, columns: nh, a: dataHidden, weights: workspace.ones, into: dataHiddenSums)
        }

        // Statistics: G = [v⁰; vᵏ]ᵀ [P(h|v⁰); −P(h|vᵏ)], and the bias sums.
        for index in 0..<(n * nh) { negativeHidden[index] = -negativeHidden[index] }
        if let statistics = workspace.varianceStatistics {
            // Learned variances: the positive part alone first, for the log-variances' statistic.
            BLAS.gemm(m: nv, n: nh, k: n, a: dataVisible, transposeA: true, b: dataHidden, c: workspace.weightStatistics)
            varianceStatistics(rows: n, data: dataVisible, positive: workspace.weightStatistics, into: statistics)
            BLAS.gemm(m: nv, n: nh, k: n, a: dataVisible + n * nv, transposeA: true, b: negativeHidden,
                      beta: 1, c: workspace.weightStatistics)
        } else {
            BLAS.gemm(m: nv, n: nh, k: 2 * n, a: workspace.stackedVisible, transposeA: true,
                      b: workspace.stackedHidden, c: workspace.weightStatistics)
        }
        BLAS.weightedRowSum(rows: 2 * n, columns: nv, a: workspace.stackedVisible,
                            weights: workspace.visibleSigns, into: workspace.visibleBiasStatistics)
        BLAS.weightedRowSum(rows: 2 * n, columns: nh, a: workspace.stackedHidden,
                            weights: workspace.ones, into: workspace.hiddenBiasStatistics)
    }


    // MARK: Phase 2: reduction and update

    /// Sums the shard statistics into shard 0's buffers (pairwise tree over shard index) and,
    /// when `hyperparameters` is given, applies the momentum update. Work items are blocks of
    /// rows of W, plus one for the hidden bias; elementwise, so the split cannot change a bit.
    private func reduce(applying hyperparameters: UpdateHyperparameters?) {
        let blocks = (visibleCount + rowsPerBlock - 1) / rowsPerBlock
        let transfer = UnsafeTransfer(self)
        DataParallel.forEach(items: blocks + 1, workers: reductionWorkers) { item in
            let trainer = transfer.value
            if item == blocks {
                trainer.reduceHiddenBias(applying: hyperparameters)
            } else {
                let start = item * trainer.rowsPerBlock
                trainer.reduceRows(start..<min(trainer.visibleCount, start + trainer.rowsPerBlock),
                                   applying: hyperparameters)
            }
        }
    }

    private func reduceRows(_ rows: Range<Int>, applying hyperparameters: UpdateHyperparameters?) {
        let nh = hiddenCount
        let offset = rows.lowerBound * nh
        let count = rows.count * nh
        treeSum(count: count) { $0.weightStatistics + offset }
        treeSum(count: rows.count) { $0.visibleBiasStatistics + rows.lowerBound }
        if workspaces[0].varianceStatistics != nil { treeSum(count: rows.count) { $0.varianceStatistics! + rows.lowerBound } }
        guard let hyperparameters else { return }
        if let variances, let statistics = workspaces[0].varianceStatistics {
            stepLogVariances(rows, variances: variances, statistics: statistics, hyperparameters: hyperparameters)
        }
        let scale = 1 / Float(configuration.batchSize)
        ParameterUpdate.momentumStep(
            parameters: parameters.weights + offset, velocity: velocity.weights + offset,
            statistics: workspaces[0].weightStatistics + offset, count: count, scale: scale,
            weightDecay: configuration.weightDecay, hyperparameters: hyperparameters)
        ParameterUpdate.momentumStep(
            parameters: parameters.visibleBias + rows.lowerBound,
            velocity: velocity.visibleBias + rows.lowerBound,
            statistics: workspaces[0].visibleBiasStatistics + rows.lowerBound,
            count: rows.count, scale: scale, weightDecay: 0, hyperparameters: hyperparameters)
    }

    private func reduceHiddenBias(applying hyperparameters: UpdateHyperparameters?) {
        treeSum(count: hiddenCount) { $0.hiddenBiasStatistics }
        if workspaces[0].dataHiddenSums != nil { treeSum(count: hiddenCount) { $0.dataHiddenSums! } }
        guard let hyperparameters else { return }
        ParameterUpdate.momentumStep(
            parameters: parameters.hiddenBias, velocity: velocity.hiddenBias,
            statistics: workspaces[0].hiddenBiasStatistics, count: hiddenCount,
            scale: 1 / Float(configuration.batchSize), weightDecay: 0,
            hyperparameters: hyperparameters)
    }

    /// In place over the shards: ((s0 + s1) + (s2 + s3)) + …, leaving the total in shard 0
    /// (`pairwiseSum`, the order every reduction of the project keeps).
    private func treeSum(count: Int, _ buffer: (ShardWorkspace) -> UnsafeMutablePointer<Float>) {
        Self.pairwiseSum(parts: workspaces.count, count: count) { buffer(workspaces[$0]) }
    }
}
