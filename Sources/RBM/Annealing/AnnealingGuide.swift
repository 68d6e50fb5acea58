/// Mode jumps for annealing: a Metropolis–Hastings move on the hidden layer whose proposal is
/// fixed before the run and drawn from where the model puts its mass near the data.
///
/// AIS's Gibbs transitions move a chain one unit at a time; on a model whose mass sits in a few
/// sharp modes (categorical units: products of near-deterministic softmaxes) the chains freeze
/// into whichever modes they meet early on the path, and log Ẑ misses the others by tens of
/// nats with a small standard error. The jump lets a chain leave its mode in one move.
///
/// **The proposal.** In each band b of β, N guide states x_n = c + Wᵀv_n of two kinds (`pilot`):
/// pilot chains started at data points, moved `pilotSteps` Gibbs steps at β = 1 and then down the
/// path to β_b — draws near p_β_b in the modes the data visit —, and pilot chains started from
/// the base model and moved up the path to β_b — draws in the modes that form on the path away
/// from the data, where AIS's own chains go. At inverse temperature β, with x_n of the band
/// nearest β, the proposal is the mixture
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
    /// The guide states of each band, `count` × n_hidden each: x_n = c + Wᵀv_n with v_n from the
    /// model at β_b = (b + 1)/`bands.count` (the last band β = 1).
    public let bands: [[Float]]
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
    public static let defaultBands = 20
    public static let defaultBandSteps = 25
    public static let defaultEvery = 4
    public static let defaultClip: Float = 0.1

    /// A guide of one band: the same guide states at every β.
    public init(hiddenInputs: [Float], hiddenCount: Int, every: Int = defaultEvery, clip: Float = defaultClip) {
        self.init(bands: [hiddenInputs], hiddenCount: hiddenCount, every: every, clip: clip)
    }

    public init(bands: [[Float]], hiddenCount: Int, every: Int = defaultEvery, clip: Float = defaultClip) {
        precondition(hiddenCount > 0 && !bands.isEmpty && !bands[0].isEmpty && bands[0].count % hiddenCount == 0)
        precondition(bands.allSatisfy { $0.count == bands[0].count })
        precondition(every >= 1 && clip > 0 && clip < 0.5)
        let count = bands[0].count / hiddenCount
        let tables = (0...Self.levels).map { level in
            Self.proposal(level: level, hiddenInputs: bands[Self.band(of: level, bands: bands.count)], count: count,
                          hiddenCount: hiddenCount, clip: clip)
        }
        self.init(bands: bands, hiddenCount: hiddenCount, every: every, clip: clip,
                  proposals: AnnealingProposals(every: every, tables: tables))
    }

    /// This guide jumping after every `every`-th transition instead, its tables shared.
    public func jumping(every: Int) -> AnnealingGuide {
        precondition(every >= 1)
        return AnnealingGuide(bands: bands, hiddenCount: hiddenCount, every: every, clip: clip,
                              proposals: AnnealingProposals(every: every, tables: proposals.tables))
    }

    private init(bands: [[Float]], hiddenCount: Int, every: Int, clip: Float, proposals: AnnealingProposals) {
        self.bands = bands
        self.hiddenCount = hiddenCount
        self.count = bands[0].count / hiddenCount
        self.every = every
        self.clip = clip
        self.proposals = proposals
    }

    /// The band whose β_b = (b + 1)/`bands` lies nearest the level's β̃ = l/`levels`.
    static func band(of level: Int, bands: Int) -> Int {
        min(bands - 1, max(0, Int((Double(level * bands) / Double(levels)).rounded()) - 1))
    }

    /// The guide of `model`: in each band, the states of `components` chains annealed down from
    /// the data and of `upward` chains annealed up from the base model (`downward`, `climb`).
    /// Both kinds are needed: on a categorical CD-1 model (Fashion-MNIST, 16 hidden units, exact
    /// log Z known) the data's chains alone left AIS 2.8 nats low and reverse AIS 5.5 nats high
    /// at the paper's schedule, both within 1.6 nats with the climbing chains (docs/models.md).
    /// All with the numbers of the `annealingGuide` and `annealingGuideUpward` streams (chain i
    /// reads row i), in chunks of 25 chains: the same guide for any number of workers. Learned
    /// variances: give the unit-variance model and u = v/σ.
    public static func pilot(model: RBMModel, baseVisibleBias: [Float], visible: [Float], rows: Int,
                             components: Int = defaultComponents, upward: Int = defaultComponents,
                             pilotSteps: Int = defaultPilotSteps, bands bandCount: Int = defaultBands,
                             bandSteps: Int = defaultBandSteps, seed: UInt64,
                             workers: Int = 1, every: Int = defaultEvery, clip: Float = defaultClip) -> AnnealingGuide {
        precondition(rows > 0 && visible.count == rows * model.visibleCount && components > 0 && bandCount > 0)
        precondition(upward >= 0)
        let down = downward(model: model, baseVisibleBias: baseVisibleBias, visible: visible, rows: rows,
                            components: components, pilotSteps: pilotSteps, bands: bandCount, bandSteps: bandSteps,
                            seed: seed, workers: workers)
        let up = climb(model: model, baseVisibleBias: baseVisibleBias, chains: upward, pilotSteps: pilotSteps,
                       bands: bandCount, bandSteps: bandSteps, seed: seed, workers: workers)
        let bands = (0..<bandCount).map { band in down[band] + (up.isEmpty ? [] : up[band]) }
        return AnnealingGuide(bands: bands, hiddenCount: model.hiddenCount, every: every, clip: clip)
    }

    /// The states of `components` chains started at rows spread evenly over `visible` (`rows` ×
    /// n_visible, as the model sees data), each moved `pilotSteps` Gibbs steps at β = 1, then down
    /// the path (base biases `baseVisibleBias`) `bandSteps` steps at each band's β_b, band b's
    /// states taken at its end: chains annealed down from the data stay in the modes the data
    /// visit while the path still has them, so each band's states are draws near p_β_b there.
    static func downward(model: RBMModel, baseVisibleBias: [Float], visible: [Float], rows: Int, components: Int,
                         pilotSteps: Int, bands bandCount: Int, bandSteps: Int, seed: UInt64, workers: Int) -> [[Float]] {
        let count = min(components, rows)
        let points = (0..<count).map { $0 * rows / count }
        let transfer = UnsafeTransfer((model, baseVisibleBias, visible, points))
        let chunks = DataParallel.mapChunks(count: count, chunkSize: AnnealedImportanceSampling.runsPerChunk,
                                            workers: workers) { range -> [[Float]] in
            let (model, base, visible, points) = transfer.value
            let chains = AnnealingChains(model: model, baseVisibleBias: base, chains: range, layer: .visible)
            visible.withUnsafeBufferPointer { data in
                chains.start(at: data.baseAddress!, rows: range.map { points[$0] }, RandomStream(seed: seed, purpose: .annealingGuide))
            }
            let stages = (0..<bandCount).reversed().map { (band: $0, steps: $0 == bandCount - 1 ? pilotSteps : bandSteps) }
            return walk(chains, through: stages, bands: bandCount, seed: seed, purpose: .annealingGuide)
        }
        return (0..<bandCount).map { band in Array(chunks.map { $0[band] }.joined()) }
    }

    /// The states of `chains` chains drawn from the base model and moved up the path, `bandSteps`
    /// Gibbs steps at each band's β_b (`pilotSteps` at β = 1), band b's states taken at its end:
    /// a short AIS run's chains, in the modes that form on the path whether or not the data visit
    /// them — where reverse AIS's chains, started at the data, must be able to go. Empty when
    /// `chains` is 0.
    static func climb(model: RBMModel, baseVisibleBias: [Float], chains count: Int, pilotSteps: Int, bands bandCount: Int,
                      bandSteps: Int, seed: UInt64, workers: Int) -> [[Float]] {
        guard count > 0 else { return [] }
        let transfer = UnsafeTransfer((model, baseVisibleBias))
        let chunks = DataParallel.mapChunks(count: count, chunkSize: AnnealedImportanceSampling.runsPerChunk,
                                            workers: workers) { range -> [[Float]] in
            let (model, base) = transfer.value
            let chains = AnnealingChains(model: model, baseVisibleBias: base, chains: range, layer: .visible)
            chains.start(RandomStream(seed: seed, purpose: .annealingGuideUpward, step: 0, substep: 2))
            let stages = (0..<bandCount).map { (band: $0, steps: $0 == bandCount - 1 ? pilotSteps : bandSteps) }
            return walk(chains, through: stages, bands: bandCount, seed: seed, purpose: .annealingGuideUpward)
        }
        return (0..<bandCount).map { band in Array(chunks.map { $0[band] }.joined()) }
    }

    /// Moves `chains` through `stages` in order, `steps` Gibbs steps at each stage's β_band =
    /// (band + 1)/`bands`, with step s's numbers from `purpose` (substep 0 for h, 1 for v);
    /// returns each band's x = c + vᵀW at the end of its stage, indexed by band.
    private static func walk(_ chains: AnnealingChains, through stages: [(band: Int, steps: Int)], bands: Int, seed: UInt64,
                             purpose: RandomPurpose) -> [[Float]] {
        var step = 0
        var states = [[Float]](repeating: [], count: bands)
        for (band, steps) in stages {
            let beta = Float(band + 1) / Float(bands)
            for _ in 0..<steps {
                step += 1
                chains.computeHiddenInput()
                chains.transition(beta: beta,
                                  hiddenStream: RandomStream(seed: seed, purpose: purpose, step: UInt32(step), substep: 0),
                                  visibleStream: RandomStream(seed: seed, purpose: purpose, step: UInt32(step), substep: 1))
            }
            chains.computeHiddenInput()
            states[band] = Array(UnsafeBufferPointer(start: chains.hiddenInput, count: chains.count * chains.model.hiddenCount))
        }
        return states
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
