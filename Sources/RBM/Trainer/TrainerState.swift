/// Everything a trainer carries from one update to the next. With the configuration it fixes
/// every later update exactly, so a checkpoint of it resumes bit for bit.
public struct TrainerState: Sendable, Equatable {
    public var model: RBMModel
    /// The momentum buffers: the previous update of W, b and c.
    public var weightVelocity: [Float]
    public var visibleBiasVelocity: [Float]
    public var hiddenBiasVelocity: [Float]
    /// Updates applied so far; keys the random numbers of the next update.
    public var step: Int
    /// Persistent samplers: the chains' visible states (n_chains × n_visible) and their
    /// hidden probabilities P(h|v) under the parameters of the update that produced them (at
    /// the chain's own temperature). Parallel tempering keeps M chains per minibatch row, row
    /// by row: chain (row r, temperature t) is chain r·M + t.
    public var chainVisible: [Float]?
    public var chainHiddenProbabilities: [Float]?
    /// FPCD: the fast weights and biases, added to the parameters in the negative phase.
    public var fastParameters: FastParameters?
    /// Centering: the visible offsets μ (the training data's mean, fixed) and the hidden
    /// offsets λ (a moving average of the data's hidden means).
    public var visibleOffsets: [Float]?
    public var hiddenOffsets: [Float]?
    /// Learned variances: the momentum buffer of z = log σ² (the model holds z itself).
    public var logVarianceVelocity: [Float]?

    public init(model: RBMModel, weightVelocity: [Float], visibleBiasVelocity: [Float],
                hiddenBiasVelocity: [Float], step: Int, chainVisible: [Float]?,
                chainHiddenProbabilities: [Float]?) {
        self.model = model
        self.weightVelocity = weightVelocity
        self.visibleBiasVelocity = visibleBiasVelocity
        self.hiddenBiasVelocity = hiddenBiasVelocity
        self.step = step
        self.chainVisible = chainVisible
        self.chainHiddenProbabilities = chainHiddenProbabilities
    }
}

/// FPCD's fast weights and biases (Tieleman & Hinton 2009).
public struct FastParameters: Sendable, Equatable {
    public var weights: [Float]
    public var visibleBias: [Float]
    public var hiddenBias: [Float]

    public init(weights: [Float], visibleBias: [Float], hiddenBias: [Float]) {
        self.weights = weights
        self.visibleBias = visibleBias
        self.hiddenBias = hiddenBias
    }

    /// All zeros for a model of that size.
    public static func zeros(visibleCount: Int, hiddenCount: Int) -> FastParameters {
        FastParameters(weights: [Float](repeating: 0, count: visibleCount * hiddenCount),
                       visibleBias: [Float](repeating: 0, count: visibleCount),
                       hiddenBias: [Float](repeating: 0, count: hiddenCount))
    }
}

/// The batch-averaged log-likelihood gradient estimate of one update, before weight decay:
/// ∂/∂W ≈ (1/B)(Σ v⁰ P(h|v⁰)ᵀ − Σ vᵏ P(h|vᵏ)ᵀ), and likewise for the biases.
public struct ParameterGradient: Sendable, Equatable {
    public var weights: [Float]
    public var visibleBias: [Float]
    public var hiddenBias: [Float]
    /// Learned variances: ∂ log p/∂z = ½ u(u − b − W·P(h|u)) − ½ averaged over the batch (exact;
    /// `RBMModel+LearnedVariance.swift`).
    public var visibleLogVariance: [Float]? = nil
}

extension TrainerState {
    /// The state before the first update of `model` under `configuration`: no momentum yet;
    /// persistent chains with P(h|v) = 0, so that their first visible states are drawn from
    /// σ(b) (the data's marginals when b was initialized from them); FPCD's fast parameters at
    /// zero; centering's offsets at μ = σ(b) (callers pass the data mean instead) and λ = ½.
    public static func initial(model: RBMModel, configuration: TrainerConfiguration) -> TrainerState {
        let zeros = { (count: Int) in [Float](repeating: 0, count: count) }
        let chains = configuration.batchSize * configuration.chainsPerRow
        let persistent = configuration.sampler.isPersistent
        var state = TrainerState(
            model: model, weightVelocity: zeros(model.weights.count), visibleBiasVelocity: zeros(model.visibleCount),
            hiddenBiasVelocity: zeros(model.hiddenCount), step: 0,
            chainVisible: persistent ? zeros(chains * model.visibleCount) : nil,
            chainHiddenProbabilities: persistent ? zeros(chains * model.hiddenCount) : nil)
        if configuration.sampler == .fastPersistentContrastiveDivergence {
            state.fastParameters = .zeros(visibleCount: model.visibleCount, hiddenCount: model.hiddenCount)
        }
        if configuration.learnsVariance {
            state.logVarianceVelocity = zeros(model.visibleCount)
            if state.model.visibleLogVariance == nil { state.model.visibleLogVariance = zeros(model.visibleCount) }
        }
        if configuration.centering {
            state.visibleOffsets = model.visibleBias.map { Float(1 / (1 + _exp(-Double($0)))) }
            state.hiddenOffsets = [Float](repeating: 0.5, count: model.hiddenCount)
        }
        return state
    }
}
