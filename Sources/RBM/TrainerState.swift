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
    /// PCD only: the persistent chains' visible states (n_chains × n_visible) and their
    /// hidden probabilities P(h|v) under the parameters of the update that produced them.
    public var chainVisible: [Float]?
    public var chainHiddenProbabilities: [Float]?

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

/// The batch-averaged log-likelihood gradient estimate of one update, before weight decay:
/// ∂/∂W ≈ (1/B)(Σ v⁰ P(h|v⁰)ᵀ − Σ vᵏ P(h|vᵏ)ᵀ), and likewise for the biases.
public struct ParameterGradient: Sendable, Equatable {
    public var weights: [Float]
    public var visibleBias: [Float]
    public var hiddenBias: [Float]
}
