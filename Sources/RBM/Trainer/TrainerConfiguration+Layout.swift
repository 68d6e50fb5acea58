/// How a minibatch's work is cut: the three settings of `TrainerConfiguration` that
/// `training.layout: auto` chooses (`training.shards`, `training.hidden_blocks`,
/// `training.visible_blocks`).
public struct StepLayout: Sendable, Equatable, CustomStringConvertible {
    public var shards: Int
    public var hiddenBlocks: Int
    public var visibleBlocks: Int

    public init(shards: Int, hiddenBlocks: Int = 1, visibleBlocks: Int = 1) {
        self.shards = shards
        self.hiddenBlocks = hiddenBlocks
        self.visibleBlocks = visibleBlocks
    }

    /// "2 shards", "1 shard × 2 hidden blocks", "1 shard × 2 visible blocks".
    public var description: String {
        "\(shards) shard\(shards == 1 ? "" : "s")"
            + (hiddenBlocks > 1 ? " × \(hiddenBlocks) hidden blocks" : "")
            + (visibleBlocks > 1 ? " × \(visibleBlocks) visible blocks" : "")
    }
}

extension TrainerConfiguration {
    /// The batches up to which a layout of one shard cut into hidden blocks is chosen: above
    /// it the shards' products are large enough to run near the SGEMM rate, and a split by
    /// rows costs no more (measured at 784 → 500 and 784 → 2000: hidden blocks 6–9 % ahead at
    /// batch 100, shards 0–10 % ahead at batch 1000; docs/performance.md, "Sizes").
    public static let hiddenBlocksBatchLimit = 500

    public var layout: StepLayout {
        get { StepLayout(shards: shards, hiddenBlocks: hiddenBlocks, visibleBlocks: visibleBlocks) }
        set {
            shards = newValue.shards
            hiddenBlocks = newValue.hiddenBlocks
            visibleBlocks = newValue.visibleBlocks
        }
    }

    /// The layout `training.layout: auto` resolves to for this configuration's batch and
    /// sampler, a model of `hiddenCount` hidden units (and `visibleCount` visible ones, nil
    /// when not known yet), on `cores` cores per process and `ranks` processes:
    ///
    /// - one core: one shard, no blocks;
    /// - several processes: a shard per core per rank (each rank computes its own);
    /// - a batch of at most `SmallProducts.thinSide` rows, CD or PCD on Bernoulli units without
    ///   centering: one shard cut into a block of visible units per core (each core owns its
    ///   rows of W through the update);
    /// - a batch of at most `hiddenBlocksBatchLimit` rows of Bernoulli units whose update needs
    ///   no totals (not FPCD, no clipping) and no tempered chains: one shard cut into a block of
    ///   hidden units per core (each core keeps its columns of W in its cache, no reduction;
    ///   with centering each block centres its own columns in place);
    ///
    /// (measured on 2 cores, `rbm bench --centering`, MNIST 784 → 500 at batch 100: centred PCD-1
    /// in place on hidden blocks 67.4–67.9k samples/s against 61.0–63.7k on 2 shards; Fashion-MNIST
    /// categorical units, shards 7.0–10.0k against hidden blocks 3.4–8.4k; Gaussian units about
    /// even — so those split by rows);
    /// - otherwise a shard per core.
    ///
    /// Blocks are chosen only when every core gets at least 32 units (whole Philox groups); a
    /// layout the model is too small for falls through to the next line. The result depends on the machine (`cores`) — a run records the
    /// concrete keys in its config.yaml, so it can be repeated anywhere — but never on
    /// `workers`.
    public func automaticLayout(visibleCount: Int?, hiddenCount: Int, visibleUnits: VisibleUnits,
                                cores: Int, ranks: Int = 1) -> StepLayout {
        let cores = max(1, cores)
        let rowShards = StepLayout(shards: max(1, min(batchSize, cores * max(1, ranks))))
        guard ranks == 1 else { return rowShards }
        guard cores > 1 else { return StepLayout(shards: 1) }
        let blockedUpdate = clipNorm == 0 && langevinSteps == 0
            && (sampler == .contrastiveDivergence || sampler == .persistentContrastiveDivergence)
        let plainUpdate = blockedUpdate && !centering
        // Whole groups of 32 units per core, so that the blocks are even.
        let visibleFits = visibleCount.map { $0 / 32 >= cores } ?? true
        if batchSize <= SmallProducts.thinSide && plainUpdate && visibleUnits.isBinary && visibleFits {
            return StepLayout(shards: 1, visibleBlocks: cores)
        }
        if batchSize <= Self.hiddenBlocksBatchLimit && blockedUpdate && visibleUnits.isBinary
            && hiddenCount / 32 >= cores {
            return StepLayout(shards: 1, hiddenBlocks: cores)
        }
        return rowShards
    }
}
