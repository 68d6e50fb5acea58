/// Mode jumps for annealing: a Metropolis–Hastings move on the hidden layer whose proposal is
/// fixed before the run and drawn from where the model puts its mass near the data.
///
/// AIS's Gibbs transitions move a chain one unit at a time; on a model whose mass sits in a few
/// sharp modes (categorical units: products of near-deterministic softmaxes) the chains freeze
/// into whichever modes they meet early on the path, and log Ẑ misses the others by tens of
/// nats with a small standard error. The jump lets a chain leave its mode in one move.
///
/// **The proposal.** N guide states x_n = c + Wᵀv_n, where v_n are `pilotSteps` Gibbs steps of the
/// model (β = 1) from N data points. At inverse temperature β the proposal is the mixture
///
///     q_β(h) = (1/N) Σ_n Π_j p_nj^h_j (1 − p_nj)^(1−h_j),   p_nj = clip(σ(β·x_nj), ε, 1 − ε),
///
/// (ε = `clip`, so that every h has q_β(h) > 0): pick n uniformly, then each h_j ~ Bernoulli(p_nj).
///
/// **The move** on the hidden states, the visible layer summed out of the path's joint
/// (`AnnealingChains`): with log f_β(h) = β·cᵀh + log Σ_v exp(V_β(v) + β·vᵀWh), accept h' with
/// probability min(1, f_β(h')·q_β(h) / (f_β(h)·q_β(h'))). It is an independence sampler: it leaves
/// f_β invariant and is reversible with respect to it, because q_β does not depend on the chain —
/// the guide is built before annealing, from its own random numbers, whatever the data. Placed
/// between the halves of the visible layer's step (v → h → jump → v) the step stays reversible
/// with respect to f_β(v); in the hidden layer the reverse direction runs the jump before the
/// Gibbs step instead of after it, the time-reversal of the forward transition. So AIS stays an
/// unbiased estimate of Z and reverse AIS a stochastic lower bound, with or without jumps.
public struct AnnealingGuide: Sendable {
    /// x_n = c + Wᵀv_n, `count` × n_hidden.
    public let hiddenInputs: [Float]
    public let count: Int
    public let hiddenCount: Int
    /// A jump after every `every`-th transition.
    public let every: Int
    /// ε of the proposal's probabilities.
    public let clip: Float
    /// The proposal's tables at every level, formed once here and read by every estimate made
    /// with this guide (forward, reverse, each round of `--betas-until-agree`) and every group.
    let proposals: AnnealingProposals

    public static let defaultComponents = 100
    public static let defaultPilotSteps = 200
    public static let defaultEvery = 4
    public static let defaultClip: Float = 0.1

    public init(hiddenInputs: [Float], hiddenCount: Int, every: Int = defaultEvery, clip: Float = defaultClip) {
        precondition(hiddenCount > 0 && !hiddenInputs.isEmpty && hiddenInputs.count % hiddenCount == 0)
        precondition(every >= 1 && clip > 0 && clip < 0.5)
        self.hiddenInputs = hiddenInputs
        self.hiddenCount = hiddenCount
        self.count = hiddenInputs.count / hiddenCount
        self.every = every
        self.clip = clip
        let count = hiddenInputs.count / hiddenCount
        self.proposals = AnnealingProposals(every: every, tables: (0...Self.levels).map {
            Self.proposal(level: $0, hiddenInputs: hiddenInputs, count: count, hiddenCount: hiddenCount, clip: clip)
        })
    }

    /// This guide jumping after every `every`-th transition instead, its tables shared.
    public func jumping(every: Int) -> AnnealingGuide {
        precondition(every >= 1)
        return AnnealingGuide(hiddenInputs: hiddenInputs, hiddenCount: hiddenCount, every: every, clip: clip,
                              proposals: AnnealingProposals(every: every, tables: proposals.tables))
    }

    private init(hiddenInputs: [Float], hiddenCount: Int, every: Int, clip: Float, proposals: AnnealingProposals) {
        self.hiddenInputs = hiddenInputs
        self.hiddenCount = hiddenCount
        self.count = hiddenInputs.count / hiddenCount
        self.every = every
        self.clip = clip
        self.proposals = proposals
    }

    /// The guide of `model` from `components` rows spread evenly over `visible` (`rows` × n_visible,
    /// as the model sees data), each moved `pilotSteps` Gibbs steps at β = 1 with the numbers of
    /// the `annealingGuide` streams (chain i reads row i), in chunks of 25 chains: the same guide
    /// for any number of workers. Learned variances: give the unit-variance model and u = v/σ.
    public static func pilot(model: RBMModel, visible: [Float], rows: Int, components: Int = defaultComponents,
                             pilotSteps: Int = defaultPilotSteps, seed: UInt64, workers: Int = 1,
                             every: Int = defaultEvery, clip: Float = defaultClip) -> AnnealingGuide {
        precondition(rows > 0 && visible.count == rows * model.visibleCount && components > 0)
        let count = min(components, rows)
        let points = (0..<count).map { $0 * rows / count }
        let nh = model.hiddenCount
        let transfer = UnsafeTransfer((model, visible, points))
        let chunks = DataParallel.mapChunks(count: count, chunkSize: AnnealedImportanceSampling.runsPerChunk,
                                            workers: workers) { range -> [Float] in
            let (model, visible, points) = transfer.value
            // At β = 1 the path's base plays no part: any base of the right size will do.
            let chains = AnnealingChains(model: model, baseVisibleBias: model.visibleBias, chains: range, layer: .visible)
            visible.withUnsafeBufferPointer { data in
                chains.start(at: data.baseAddress!, rows: range.map { points[$0] }, RandomStream(seed: seed, purpose: .annealingGuide))
            }
            for step in 0..<pilotSteps {
                chains.computeHiddenInput()
                chains.transition(beta: 1,
                                  hiddenStream: RandomStream(seed: seed, purpose: .annealingGuide, step: UInt32(step + 1), substep: 0),
                                  visibleStream: RandomStream(seed: seed, purpose: .annealingGuide, step: UInt32(step + 1), substep: 1))
            }
            chains.computeHiddenInput()
            return Array(UnsafeBufferPointer(start: chains.hiddenInput, count: range.count * nh))
        }
        return AnnealingGuide(hiddenInputs: chunks.flatMap { $0 }, hiddenCount: nh, every: every, clip: clip)
    }

    /// The proposal's tables at `levels` + 1 inverse temperatures β̃ = l/levels; a transition at β
    /// uses the level nearest β (`level(of:)`): a proposal fixed for each transition, as the move
    /// needs, without the N × n_hidden logarithms per transition that β itself would cost.
    public static let levels = 100

    static func level(of beta: Float) -> Int { min(levels, max(0, Int((beta * Float(levels)).rounded()))) }

    /// The proposal at level l (β̃ = l/levels): p_nj (`count` × n_hidden), D_nj = log p_nj −
    /// log(1 − p_nj) and s_n = Σ_j log(1 − p_nj), so that log of component n at h is Σ_j h_j·D_nj + s_n.
    struct Proposal {
        var probabilities: [Float]
        var logOdds: [Float]
        var offsets: [Double]
    }

    static func proposal(level: Int, hiddenInputs: [Float], count: Int, hiddenCount nh: Int, clip: Float) -> Proposal {
        let beta = Double(level) / Double(levels)
        var result = Proposal(probabilities: [Float](repeating: 0, count: count * nh),
                              logOdds: [Float](repeating: 0, count: count * nh), offsets: [Double](repeating: 0, count: count))
        for n in 0..<count {
            var offset = 0.0
            for j in 0..<nh {
                let x = beta * Double(hiddenInputs[n * nh + j])
                // The probability the draw uses, in single precision; the logs are of that number.
                let p = Double(Float(min(1 - Double(clip), max(Double(clip), 1 / (1 + _exp(-x))))))
                result.probabilities[n * nh + j] = Float(p)
                result.logOdds[n * nh + j] = Float(_log(p) - _log(1 - p))
                offset += _log(1 - p)
            }
            result.offsets[n] = offset
        }
        return result
    }
}

/// The proposals of a guide at every level (`AnnealingGuide.proposals`), shared read-only by the
/// groups of chains.
final class AnnealingProposals: @unchecked Sendable {
    let every: Int
    let tables: [AnnealingGuide.Proposal]

    init(every: Int, tables: [AnnealingGuide.Proposal]) {
        self.every = every
        self.tables = tables
    }

    /// Whether transition k (1-based, as the schedule counts) jumps.
    func jumps(at k: Int) -> Bool { k % every == 0 }

    func table(beta: Float) -> AnnealingGuide.Proposal { tables[AnnealingGuide.level(of: beta)] }
}
