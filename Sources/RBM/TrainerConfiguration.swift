/// How the negative phase draws its samples.
public enum SamplerKind: String, Sendable, CaseIterable {
    /// CD-k (Hinton 2002): the chains start at the data for every update.
    case contrastiveDivergence = "cd"
    /// PCD-k (Tieleman 2008): a set of chains persists from one update to the next.
    case persistentContrastiveDivergence = "pcd"
}

/// Everything that fixes what one update computes. None of it depends on the machine:
/// `workers` changes how fast, never what.
public struct TrainerConfiguration: Sendable, Equatable {
    /// Rows per minibatch (B). The gradient is averaged over it.
    public var batchSize: Int
    /// How many pieces each minibatch is cut into; each shard computes its own statistics.
    public var shards: Int
    /// Threads that run the shards (and the reduction). Does not change the result.
    public var workers: Int
    public var sampler: SamplerKind
    /// Gibbs steps k of CD-k / PCD-k.
    public var gibbsSteps: Int
    /// L2 penalty λ on the weights: the update adds −λW to the gradient.
    public var weightDecay: Float
    public var seed: UInt64

    public init(batchSize: Int, shards: Int, workers: Int, sampler: SamplerKind,
                gibbsSteps: Int, weightDecay: Float, seed: UInt64) {
        self.batchSize = batchSize
        self.shards = shards
        self.workers = workers
        self.sampler = sampler
        self.gibbsSteps = gibbsSteps
        self.weightDecay = weightDecay
        self.seed = seed
    }

    /// The rows of the minibatch that shard `shard` owns: an even split, the first shards
    /// one row longer when B is not a multiple of the shard count.
    public func rows(ofShard shard: Int) -> Range<Int> {
        evenPiece(of: batchSize, parts: shards, index: shard)
    }

    /// The shards rank `rank` of `ranks` computes: a contiguous, even split (the first ranks
    /// one shard more when `ranks` does not divide `shards`).
    public func shards(ofRank rank: Int, ranks: Int) -> Range<Int> {
        evenPiece(of: shards, parts: ranks, index: rank)
    }

    /// Problems that would make training meaningless, or nil.
    public func validationError() -> String? {
        if batchSize < 1 { return "batch size must be at least 1 (got \(batchSize))" }
        if shards < 1 { return "shards must be at least 1 (got \(shards))" }
        if shards > batchSize { return "shards (\(shards)) cannot exceed the batch size (\(batchSize))" }
        if workers < 1 { return "workers must be at least 1 (got \(workers))" }
        if gibbsSteps < 1 { return "Gibbs steps k must be at least 1 (got \(gibbsSteps))" }
        if !(weightDecay >= 0) || !weightDecay.isFinite { return "weight decay must be a finite number ≥ 0" }
        return nil
    }
}

/// The parameters that change from one update to the next (schedules live with the caller).
public struct UpdateHyperparameters: Sendable, Equatable {
    /// ε, the step size applied to the batch-averaged gradient.
    public var learningRate: Float
    /// μ, the fraction of the previous update carried into this one.
    public var momentum: Float
    public init(learningRate: Float, momentum: Float) {
        self.learningRate = learningRate
        self.momentum = momentum
    }
}
