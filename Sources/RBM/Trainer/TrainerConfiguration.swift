/// How the negative phase draws its samples.
public enum SamplerKind: String, Sendable, CaseIterable {
    /// CD-k (Hinton 2002): the chains start at the data for every update.
    case contrastiveDivergence = "cd"
    /// PCD-k (Tieleman 2008): a set of chains persists from one update to the next.
    case persistentContrastiveDivergence = "pcd"
    /// Fast PCD (Tieleman & Hinton 2009): PCD whose chains sample from the parameters plus
    /// fast weights, which learn with their own (large) rate and decay quickly.
    case fastPersistentContrastiveDivergence = "fpcd"
    /// Parallel tempering: persistent chains at several inverse temperatures per minibatch
    /// row, swapping neighbours' states by the Metropolis rule; the β = 1 chains give the
    /// negative statistics.
    case parallelTempering = "pt"

    /// True for the samplers whose chains persist from one update to the next.
    public var isPersistent: Bool { self != .contrastiveDivergence }

    /// "CD-1", "PCD-1", "FPCD-1", "PT-1".
    public func label(steps: Int) -> String {
        switch self {
        case .contrastiveDivergence: return "CD-\(steps)"
        case .persistentContrastiveDivergence: return "PCD-\(steps)"
        case .fastPersistentContrastiveDivergence: return "FPCD-\(steps)"
        case .parallelTempering: return "PT-\(steps)"
        }
    }
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
    /// FPCD: the fast parameters' learning rate ε_f (constant) and the factor they are
    /// multiplied by before each update (Tieleman & Hinton: 19/20).
    public var fastLearningRate: Float = 0
    public var fastDecay: Float = 0.95
    /// Parallel tempering: the inverse temperatures β₁ = 1 > β₂ > … > β_M > 0 of each row's
    /// chains (M = 1 is PCD).
    public var inverseTemperatures: [Float] = [1]
    /// Parallel tempering toward a base: the visible linear coefficients b_A of the β → 0 end
    /// (AIS's base from the data's marginals, `AnnealedImportanceSampling.baseBias`), so that
    /// p_β(v, h) ∝ m(v)·exp(β(bᵀv + cᵀh + vᵀWh) + (1 − β)·b_Aᵀv) and the hot chains sample
    /// near the data's base rates. nil: b_A = 0 (binary units' hot end uniform).
    public var temperingBase: [Float]?
    /// Centering (Melchior, Fischer & Wiskott 2016): the gradient of the energy with visible
    /// offsets μ (the data mean) and hidden offsets λ (a moving average of the data's hidden
    /// means, rate ν = `centeringRate`). The parameters stay in the plain form.
    public var centering = false
    public var centeringRate: Float = 0.01
    /// Blocks of hidden units the update's work is also split into (1: none). With H blocks
    /// every shard's products with W run as H independent pieces, each reading only its block
    /// of W's columns, so a worker keeps its block in its own cache through the update and a
    /// single shard (a small batch) still has H pieces of parallel work. Like `shards`, it is
    /// part of the configuration: results are bit-identical for any number of workers.
    public var hiddenBlocks = 1
    /// Blocks of visible units the update's work is split into instead (1: none), for small
    /// batches: each worker owns a block of W's rows, contiguous in memory, through the whole
    /// update (see `DataParallelTrainer+VisibleBlocks.swift`). One shard, CD or PCD, no
    /// centering, Bernoulli visible units. Part of the configuration, like `hiddenBlocks`.
    public var visibleBlocks = 1
    /// Gaussian units with learned variances (`model.learn_variance`): each update also moves
    /// z = log σ² by its exact gradient (`RBMModel+LearnedVariance.swift`), at the rate
    /// `UpdateHyperparameters.varianceLearningRate`, and holds σ² ≥ `minimumVariance`.
    public var learnsVariance = false
    public var minimumVariance: Float = 0.01
    /// Langevin sampling for real-valued units (0: Gibbs): each of the k steps of the negative
    /// phase moves the visible states by this many Langevin steps on the marginal,
    /// v ← v − η∇F(v) + √(2η)ξ (`DataParallelTrainer+Langevin.swift`).
    public var langevinSteps = 0
    /// η of those steps (in the unit-variance coordinates u = v/σ).
    public var langevinStepSize: Float = 0.1
    /// Metropolis-adjusted Langevin (MALA): each step is a proposal accepted with the
    /// Metropolis–Hastings probability, so that the chains leave the model exactly invariant
    /// whatever η.
    public var langevinAdjusted = false
    /// Where CD's chains start each update: at the data, or at N(0, I) (Liao et al.'s
    /// modified CD).
    public var chainStart = ChainStart.data
    /// The largest L2 norm of the batch-averaged gradient (0: no clipping): above it the
    /// gradient of every parameter is scaled down by the same factor before the momentum step.
    public var clipNorm: Float = 0

    /// Where CD's negative chains start.
    public enum ChainStart: String, Sendable, CaseIterable {
        case data
        case noise
    }

    /// Chains per minibatch row: M under parallel tempering, else 1.
    public var chainsPerRow: Int { sampler == .parallelTempering ? inverseTemperatures.count : 1 }

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

    /// The hidden units of block `block` of `hiddenBlocks`: an even split of the units'
    /// groups of 32 (the Philox group size, so that a block draws the random numbers the whole
    /// row would), the last block ending at `hiddenCount`.
    public func hiddenUnits(ofBlock block: Int, hiddenCount: Int) -> Range<Int> {
        let groups = evenPiece(of: (hiddenCount + 31) / 32, parts: hiddenBlocks, index: block)
        return min(hiddenCount, groups.lowerBound * 32)..<min(hiddenCount, groups.upperBound * 32)
    }

    /// The most hidden blocks a layer of `hiddenCount` units allows: one per 32 units.
    public static func maximumHiddenBlocks(hiddenCount: Int) -> Int { max(1, (hiddenCount + 31) / 32) }

    /// The visible units of block `block` of `visibleBlocks`: an even split of the units' groups
    /// of 32, as for hidden blocks.
    public func visibleUnits(ofBlock block: Int, visibleCount: Int) -> Range<Int> {
        let groups = evenPiece(of: (visibleCount + 31) / 32, parts: visibleBlocks, index: block)
        return min(visibleCount, groups.lowerBound * 32)..<min(visibleCount, groups.upperBound * 32)
    }

    /// The most visible blocks a layer of `visibleCount` units allows: one per 32 units.
    public static func maximumVisibleBlocks(visibleCount: Int) -> Int { max(1, (visibleCount + 31) / 32) }

    /// The shards rank `rank` of `ranks` computes: a contiguous, even split (the first ranks
    /// one shard more when `ranks` does not divide `shards`).
    public func shards(ofRank rank: Int, ranks: Int) -> Range<Int> {
        evenPiece(of: shards, parts: ranks, index: rank)
    }
}

/// The parameters that change from one update to the next (schedules live with the caller).
public struct UpdateHyperparameters: Sendable, Equatable {
    /// ε, the step size applied to the batch-averaged gradient.
    public var learningRate: Float
    /// μ, the fraction of the previous update carried into this one.
    public var momentum: Float
    /// ε_z, the step size of the log-variances (learned variances only).
    public var varianceLearningRate: Float
    public init(learningRate: Float, momentum: Float, varianceLearningRate: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.varianceLearningRate = varianceLearningRate
    }
}
