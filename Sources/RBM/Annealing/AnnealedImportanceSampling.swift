/// Annealed Importance Sampling estimate of log Z (Neal 2001; Salakhutdinov & Murray 2008).
///
/// The base-rate model A has W = 0, hidden biases 0 and visible biases b_A (from the training
/// data's marginals), so log Z_A = n_hidden·log 2 + Σᵢ softplus(b_Aᵢ). The intermediate
/// distributions, for 0 = β₀ < β₁ < … < β_K = 1, have unnormalized marginals
///
///     log p*_k(v) = (1 − β_k)·b_Aᵀv + β_k·b_Bᵀv + Σⱼ softplus(β_k·(c_j + (vᵀW)_j)),
///
/// which are p*_A (times 2^n_hidden) at β = 0 and e^(−F_B(v)) at β = 1. Each run starts with
/// v ~ p_A and accumulates log w = Σ_k [log p*_k(v_k) − log p*_{k−1}(v_k)], moving v with a Gibbs
/// step that leaves p_k invariant: h ~ σ(β_k x), v ~ σ((1 − β_k)·b_A + β_k·(b_B + Wh)). Then
/// Ẑ_B = Z_A · mean(w).
///
/// Other visible units anneal the same way from their own base model (W = 0, c = 0): Gaussian
/// units from independent N(μ, s²) with the data's means and variances, floored at the model's
/// own conditional variance 1 (`baseParameters`; N(μ, 1) when only means are given), so
/// log Z_A = n_hidden·log 2 + (n_v/2)·log 2π + Σ ½ log s_i² and the visible part of
/// log p*_k(v) is −(1 − β_k)·Σ (v_i − μ_i)²/(2s_i²) − β_k·|v − b_B|²/2; categorical units from
/// independent categoricals with the data's frequencies (b_A = log p; log Z_A = n_hidden·log 2 +
/// Σ_groups logsumexp b_A). The Gibbs step
/// samples v from the units' own conditional at (1 − β_k)·b_A + β_k·(b_B + Wh).
///
/// `reverseEstimate` anneals the other way, from data points to the base model (RAISE), for a
/// conservative estimate beside this one (`AnnealedImportanceSampling+Reverse.swift`).
///
/// The runs are processed in fixed groups of `runsPerChunk` by the data-parallel engine; every
/// random number is keyed by (seed, β index, run), so the estimate is the same for any number
/// of workers.
public struct AnnealedImportanceSampling: Sendable {
    /// The layer the chains carry; the other is summed out of the weights (`AnnealingChains`).
    public enum Layer: String, Sendable, CaseIterable {
        case visible, hidden

        /// Units with a density (Gaussian) anneal the hidden states, the real-valued visible
        /// layer integrated out exactly; the others their visible states, as Salakhutdinov &
        /// Murray (2008) do. Measured (docs/models.md): on a Fashion-MNIST Gaussian model of 20
        /// hidden units the hidden layer put AIS 0.03 nats from the exact log Z (the visible
        /// layer 0.15) and ran 1.1× Bernoulli's time at 784 → 500 (the visible layer 1.4×); for
        /// categorical units it ran slower (1.4× against 1.2×) and was no nearer.
        public static func preferred(for units: VisibleUnits) -> Layer { units.hasDensity ? .hidden : .visible }
    }

    public var runs: Int
    public var betas: [Double]
    public var seed: UInt64
    public var workers: Int
    /// The layer to anneal; nil: `Layer.preferred(for:)` the model's units.
    public var layer: Layer?
    /// Mode jumps between transitions (`AnnealingGuide`), forward and reverse; nil: Gibbs alone.
    /// Built for the model it is given with (the unit-variance model under learned variances).
    public var guide: AnnealingGuide?
    /// Reverse AIS's chains per data point: `runs` chains in groups of this many, each group
    /// started at one data point, whose L is the log-mean-exp of its chains' (1: one chain per
    /// point, the estimator as RAISE states it). Forward AIS ignores it.
    public var chainsPerPoint = 1
    static let runsPerChunk = 25

    /// The paper's schedule scaled to `count` inverse temperatures in all: steps of equal size
    /// in [0, 0.5], [0.5, 0.9] and [0.9, 1] in the proportion 500 : 4,000 : 10,000 (the
    /// paper's 14,500: spacing 10⁻³, 10⁻⁴ and 10⁻⁵).
    public static func schedule(count: Int) -> [Double] { AnnealingSchedule.paper(count: count) }

    /// The defaults every command and config uses: 100 runs, and Salakhutdinov & Murray's
    /// 14,500 inverse temperatures.
    public static let defaultRuns = 100
    public static let defaultBetaCount = 14_500

    public init(runs: Int = defaultRuns, betaCount: Int = defaultBetaCount, seed: UInt64 = 1, workers: Int = 1) {
        self.runs = runs
        self.betas = Self.schedule(count: betaCount)
        self.seed = seed
        self.workers = workers
    }

    public struct Estimate: Sendable, Equatable {
        /// log Ẑ = log Z_A + log mean(w).
        public var logPartitionFunction: Double
        /// log(mean(w) ∓ 3 standard errors) + log Z_A; the lower end is −∞ when the band
        /// reaches 0.
        public var lower: Double
        public var upper: Double
        /// The standard error of log Ẑ (of mean(w), relative to mean(w)).
        public var standardError: Double
        /// log w of each run.
        public var logWeights: [Double]
        public var baseLogPartitionFunction: Double
        /// Step k's increment log f_k(v_k) − log f_{k−1}(v_k) averaged over the runs, k = 1 … K:
        /// where along the path the weight accrues (`AnnealingSchedule.lagAdapted`).
        public var meanIncrements: [Double] = []

        /// Every log Z moved by `shift` (the weights stay: they are the unit-variance model's).
        func shifted(by shift: Double) -> Estimate {
            var estimate = self
            estimate.logPartitionFunction += shift
            estimate.lower += shift
            estimate.upper += shift
            estimate.baseLogPartitionFunction += shift
            return estimate
        }
    }

    /// Estimates log Z of `model`, annealing from the base-rate model with visible biases
    /// `baseVisibleBias` (use `baseRateBias(marginals:)`). Under several `ranks` the groups of
    /// runs are split between them and gathered in order: the same estimate, bit for bit.
    ///
    /// With learned variances the unit-variance model on u = v/σ is annealed (give the base
    /// biases in u's coordinates: `baseBias(model:marginals:)`) and Σ log σ_i is added.
    public func estimate(model: RBMModel, baseVisibleBias: [Float], ranks: any RankGroup = SingleProcess()) -> Estimate {
        if model.visibleLogVariance != nil {
            return estimate(model: model.unitVarianceModel, baseVisibleBias: baseVisibleBias, ranks: ranks)
                .shifted(by: model.logScaleDeterminant)
        }
        precondition(Self.fits(baseVisibleBias, model))
        precondition(runs > 0 && betas.count >= 2)
        let chunks = (runs + Self.runsPerChunk - 1) / Self.runsPerChunk
        let proposals = guide?.proposals
        let transfer = UnsafeTransfer((model, baseVisibleBias, self, proposals))
        let chunkResults = DataParallel.mapChunks(count: runs, chunkSize: Self.runsPerChunk, workers: workers,
                                                  ranks: ranks) { range in
            let (model, base, sampler, proposals) = transfer.value
            return sampler.anneal(model: model, baseVisibleBias: base, runs: range, proposals: proposals)
        }
        precondition(chunkResults.count == chunks)
        let (logWeights, meanIncrements) = Self.split(chunkResults, steps: betas.count - 1)
        let baseLogZ = Double(model.hiddenCount) * _log(2)
            + model.visibleUnits.baseLogPartition(base: baseVisibleBias, visibleCount: model.visibleCount)
        return Estimate(logWeights: logWeights, baseLogPartitionFunction: baseLogZ, meanIncrements: meanIncrements)
    }
}

extension AnnealedImportanceSampling.Estimate {
    /// The estimate from runs' log weights: log Ẑ = log Z_A + log mean(w), its ±3 standard-error
    /// band and relative standard error.
    init(logWeights: [Double], baseLogPartitionFunction baseLogZ: Double, meanIncrements: [Double]) {
        let runs = logWeights.count
        let largest = logWeights.max()!
        let scaled = logWeights.map { _exp($0 - largest) }
        let mean = scaled.reduce(0, +) / Double(runs)
        let variance = runs > 1 ? scaled.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(runs - 1) : 0
        let standardError = (variance / Double(runs)).squareRoot()
        let logMean = largest + _log(mean)
        self.init(
            logPartitionFunction: baseLogZ + logMean,
            lower: mean - 3 * standardError > 0 ? baseLogZ + largest + _log(mean - 3 * standardError) : -.infinity,
            upper: baseLogZ + largest + _log(mean + 3 * standardError),
            standardError: standardError / mean, logWeights: logWeights, baseLogPartitionFunction: baseLogZ,
            meanIncrements: meanIncrements)
    }
}

extension AnnealedImportanceSampling {
    /// Chunk results [log w of the chunk's chains…, Σ over them of each step's increment…] apart
    /// again: every chain's log w in order, and each step's increment averaged over all chains
    /// (the chunks' sums added in chunk order, so the same for any workers and ranks).
    static func split(_ chunkResults: [[Double]], steps: Int) -> (logWeights: [Double], meanIncrements: [Double]) {
        var logWeights: [Double] = []
        var sums = [Double](repeating: 0, count: steps)
        for result in chunkResults {
            let chains = result.count - steps
            logWeights += result[0..<chains]
            for k in 0..<steps { sums[k] += result[chains + k] }
        }
        return (logWeights, sums.map { $0 / Double(max(1, logWeights.count)) })
    }

    /// The base model's visible biases from the data's visible marginals p, as the unit type
    /// sets them (`VisibleUnits.baseBias`).
    public static func baseBias(units: VisibleUnits, marginals: [Float], clip: Float = 1e-3) -> [Float] {
        units.baseBias(marginals: marginals, clip: clip)
    }

    /// The same for `model`, in the coordinates its unit-variance model sees (the marginals
    /// divided by σ when the variances are learned).
    public static func baseBias(model: RBMModel, marginals: [Float], clip: Float = 1e-3) -> [Float] {
        baseBias(units: model.visibleUnits, marginals: model.unitVarianceCoordinates(marginals, rows: 1), clip: clip)
    }

    /// AIS's base for `model` from the data's visible means and variances (in the data's
    /// coordinates): `VisibleUnits.baseParameters`, taken in the coordinates the unit-variance
    /// model sees when the variances are learned (means ÷ σ, variances ÷ σ²). Gaussian units get
    /// N(mean, max(1, variance)) per unit; without variances, or for other kinds, the same as
    /// `baseBias(model:marginals:)`.
    public static func baseParameters(model: RBMModel, means: [Float], variances: [Float]?, clip: Float = 1e-3) -> [Float] {
        let scaledMeans = model.unitVarianceCoordinates(means, rows: 1)
        let scaledVariances = variances.map { variances in
            model.visibleLogVariance.map { z in
                zip(variances, z).map { variance, logVariance in
                    let inverse = RBMModel.inverseStandardDeviation(logVariance: logVariance)
                    return variance * inverse * inverse
                }
            } ?? variances
        }
        return model.visibleUnits.baseParameters(means: scaledMeans, variances: scaledVariances, clip: clip)
    }

    /// True when `base` can be `model`'s base: a parameter per visible unit, or two (means and
    /// variances of a Gaussian base).
    static func fits(_ base: [Float], _ model: RBMModel) -> Bool {
        base.count == model.visibleCount || (base.count == 2 * model.visibleCount && model.visibleUnits.hasDensity)
    }

    /// `rows` draws of the base model's independent visible units (biases `baseVisibleBias`):
    /// data of the units' kind for benchmarks and tests, from stream (`seed`, evaluation, 0, 3).
    public static func baseSamples(units: VisibleUnits, baseVisibleBias: [Float], rows: Int, seed: UInt64) -> [Float] {
        let nv = baseVisibleBias.count
        var means = Array((0..<rows).map { _ in baseVisibleBias }.joined())
        var samples = [Float](repeating: 0, count: rows * nv)
        let zero = [Float](repeating: 0, count: nv)
        means.withUnsafeMutableBufferPointer { m in
        samples.withUnsafeMutableBufferPointer { output in
        zero.withUnsafeBufferPointer { z in
            units.applyMeans(to: m.baseAddress!, rows: rows, columns: nv, bias: z.baseAddress!)
            GibbsHalfStep.drawVisible(units, RandomStream(seed: seed, purpose: .evaluation, step: 0, substep: 3), rows: rows,
                                      count: nv, streamRow: { $0 }, means: m.baseAddress!, into: output.baseAddress!)
        }}}
        return samples
    }

    /// b_A = log(p / (1 − p)) of the data's visible marginals p, clipped to [ε, 1 − ε]: the
    /// Bernoulli base-rate model of Salakhutdinov & Murray (2008).
    public static func baseRateBias(marginals: [Float], clip: Float = 1e-3) -> [Float] {
        VisibleUnits.bernoulli.baseBias(marginals: marginals, clip: clip)
    }

    /// One group of runs through the whole schedule: v₁ ~ p_A, then for k = 1 … K,
    /// log w += log f_k(v_k) − log f_{k−1}(v_k) and v_{k+1} ~ T_k(· | v_k). Returns the runs' log
    /// weights followed by each step's increment summed over the group (`split` takes them apart).
    func anneal(model: RBMModel, baseVisibleBias: [Float], runs range: Range<Int>,
                proposals: AnnealingProposals? = nil) -> [Double] {
        let chains = AnnealingChains(model: model, baseVisibleBias: baseVisibleBias, chains: range,
                                     layer: layer ?? .preferred(for: model.visibleUnits))
        var logWeights = [Double](repeating: 0, count: range.count)
        var increments = [Double](repeating: 0, count: betas.count - 1)
        chains.start(RandomStream(seed: seed, purpose: .annealedImportanceSampling, step: 0, substep: 2))
        for k in 1..<betas.count {
            chains.prepareRatio()
            increments[k - 1] = chains.addLogRatioSummed(from: betas[k - 1], to: betas[k], into: &logWeights)
            if k == betas.count - 1 { break }
            let jump = proposals.flatMap { $0.jumps(at: k) ? $0 : nil }.map {
                ($0, RandomStream(seed: seed, purpose: .annealedImportanceSampling, step: UInt32(k), substep: 3))
            }
            chains.transition(beta: Float(betas[k]),
                              hiddenStream: RandomStream(seed: seed, purpose: .annealedImportanceSampling, step: UInt32(k), substep: 0),
                              visibleStream: RandomStream(seed: seed, purpose: .annealedImportanceSampling, step: UInt32(k), substep: 1),
                              jump: jump)
        }
        return logWeights + increments
    }
}
