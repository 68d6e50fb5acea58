/// How one update runs, resolved once when the trainer is built (`DataParallelTrainer.plan`):
/// how the work is cut (`Layout`) and how the statistics become the update (`UpdateMode`).
/// `DataParallelTrainer.update` is one `switch` over it; nothing else asks the configuration
/// which path to take.
public struct StepPlan: Sendable, Equatable {
    /// How the minibatch and the units are cut into work items.
    public enum Layout: Sendable, Equatable {
        /// One item per shard of minibatch rows (`DataParallelTrainer.computeStatistics(ofShard:)`).
        case rowShards
        /// Shards × blocks of hidden units, each block's columns of W read by one worker
        /// (`DataParallelTrainer+HiddenBlocks.swift`).
        case hiddenBlocks
        /// One shard cut by blocks of visible units, each block's rows of W owned by one worker
        /// (`DataParallelTrainer+VisibleBlocks.swift`).
        case visibleBlocks
    }

    /// How the shard statistics become the parameters' update.
    public enum UpdateMode: Sendable, Equatable {
        /// The layout applies the momentum rule itself as it finishes each block's statistics:
        /// one shard in one process, so they are already the totals (hidden blocks, plain or
        /// centred; visible blocks, plain).
        case inPlace
        /// The shards' statistics are summed in the pairwise tree and the update applied in the
        /// same pass, split by rows of W.
        case reduceAndApply
        /// The totals are needed whole before any parameter changes (centering's correction
        /// on row shards, FPCD's fast step, clipping): sum, then apply.
        case fromTotals
        /// Several ranks: each sums its piece of every shard's statistics in shard order, the
        /// pieces are gathered and every rank applies the same update.
        case acrossRanks
    }

    public let layout: Layout
    public let update: UpdateMode

    public init(layout: Layout, update: UpdateMode) {
        self.layout = layout
        self.update = update
    }

    /// The plan for `configuration` on `ranks` processes.
    public init(_ configuration: TrainerConfiguration, ranks: Int) {
        let fromTotals = configuration.centering || configuration.sampler == .fastPersistentContrastiveDivergence
            || configuration.clipNorm > 0
        let summed: UpdateMode = ranks > 1 ? .acrossRanks : (fromTotals ? .fromTotals : .reduceAndApply)
        if configuration.visibleBlocks > 1 {
            // The rule book keeps visible blocks to one shard, one process and a plain update.
            self.init(layout: .visibleBlocks, update: .inPlace)
        } else if configuration.hiddenBlocks > 1 {
            // Centering's totals are per hidden unit but for Σ(v⁰ − vᵏ), which every block can
            // form itself: one shard's blocks centre their own columns in place.
            let blocksNeedTotals = configuration.sampler == .fastPersistentContrastiveDivergence || configuration.clipNorm > 0
            let inPlace = configuration.shards == 1 && ranks == 1 && !blocksNeedTotals
            self.init(layout: .hiddenBlocks, update: inPlace ? .inPlace : summed)
        } else {
            self.init(layout: .rowShards, update: summed)
        }
    }

    /// "1 shard × 2 hidden blocks, in place".
    public var description: String {
        let layoutText: String
        switch layout {
        case .rowShards: layoutText = "row shards"
        case .hiddenBlocks: layoutText = "hidden blocks"
        case .visibleBlocks: layoutText = "visible blocks"
        }
        let updateText: String
        switch update {
        case .inPlace: updateText = "applied in place"
        case .reduceAndApply: updateText = "reduced and applied"
        case .fromTotals: updateText = "applied from the totals"
        case .acrossRanks: updateText = "reduced across ranks"
        }
        return layoutText + ", " + updateText
    }
}
