import RBM
import RBMData
import RBMSystem

/// How to get log Z.
public enum LogLikelihoodMethod: String, Sendable, CaseIterable {
    /// Exact when the smaller layer has at most `ModelEvaluation.exactLimit` units, else AIS.
    case auto
    case exact
    case ais
    /// AIS and reverse AIS from the data side by side (`AnnealedImportanceSampling.reverseEstimate`):
    /// a bracket [conservative, AIS] on the log-likelihood, with the exact value too when the
    /// smaller layer can be enumerated.
    case bracket
    case none
}

/// What `rbm evaluate` and periodic evaluation compute.
public struct EvaluationOptions: Sendable, Equatable {
    public var logLikelihood = LogLikelihoodMethod.auto
    public var aisRuns = AnnealedImportanceSampling.defaultRuns
    public var aisBetas = AnnealedImportanceSampling.defaultBetaCount
    /// Exact pseudo-likelihood over every visible unit (n_visible × n_hidden work per sample).
    public var pseudoLikelihood = true
    /// The bracket's width (nats) above which the report warns that AIS and reverse AIS disagree.
    public var bracketWarning = defaultBracketWarning
    /// Reverse AIS's chains per data point (`AnnealedImportanceSampling.chainsPerPoint`): the
    /// `aisRuns` chains start from `aisRuns` / this many points.
    public var reverseChainsPerPoint = defaultReverseChainsPerPoint
    /// With a bracket: double the inverse temperatures until the bracket is within
    /// `bracketWarning`, up to this many (nil: one round at `aisBetas`).
    public var betaBudget: Int? = nil
    /// Mode jumps in AIS and reverse AIS (`AnnealingGuide`), guided by the split's data.
    public var modeJumps = ModeJumps.auto
    public var seed: UInt64 = 1
    /// A checkpoint's evaluation: the seed of the estimates (AIS, reverse AIS, their guide, the
    /// pseudo-likelihood's draws) in place of the run's training seed, for an independent look
    /// at the same model. The data's binarization keeps the training seed.
    public var estimateSeed: UInt64? = nil
    public var workers = 1

    public static let defaultBracketWarning = 1.0
    /// 20 chains per point, so 5 points at the default 100 runs: on categorical CD-1 models of
    /// 16 and 20 hidden units (exact log Z known), measured over 10 points, one chain per point
    /// left reverse AIS 1.8 and 13.2 nats above the exact log Z, 20 per point 0.9 below (the
    /// annealed model's own bias, which pooling uncovers) and 2.6 above (docs/models.md).
    public static let defaultReverseChainsPerPoint = 20

    public init(logLikelihood: LogLikelihoodMethod = .auto, aisRuns: Int = AnnealedImportanceSampling.defaultRuns,
                aisBetas: Int = AnnealedImportanceSampling.defaultBetaCount,
                pseudoLikelihood: Bool = true, bracketWarning: Double = defaultBracketWarning, betaBudget: Int? = nil,
                modeJumps: ModeJumps = .auto, seed: UInt64 = 1, workers: Int = 1) {
        self.logLikelihood = logLikelihood
        self.aisRuns = aisRuns
        self.aisBetas = aisBetas
        self.pseudoLikelihood = pseudoLikelihood
        self.bracketWarning = bracketWarning
        self.betaBudget = betaBudget
        self.modeJumps = modeJumps
        self.seed = seed
        self.workers = workers
    }
}

/// Whether AIS and reverse AIS add mode jumps to their Gibbs transitions (`evaluation.ais_jumps`).
public enum ModeJumps: String, Sendable, CaseIterable {
    /// On for the units whose models freeze AIS's chains into modes (categorical), off otherwise.
    case auto
    case on
    case off

    public func resolved(for units: VisibleUnits) -> Bool {
        switch self {
        case .on: return true
        case .off: return false
        case .auto: return units.oneHotStates != nil
        }
    }
}

extension ModelEvaluation {
    /// The guide of the jumps for `model` from the evaluated rows, when `options` turn them on:
    /// built for the model AIS anneals (under learned variances the unit-variance one, on u = v/σ).
    static func annealingGuide(model: RBMModel, baseVisibleBias: [Float], visible: [Float], rows: Int,
                               options: EvaluationOptions) -> AnnealingGuide? {
        guard rows > 0, options.modeJumps.resolved(for: model.visibleUnits) else { return nil }
        guard model.visibleLogVariance != nil else {
            return AnnealingGuide.pilot(model: model, baseVisibleBias: baseVisibleBias, visible: visible, rows: rows,
                                        seed: options.seed, workers: options.workers)
        }
        return AnnealingGuide.pilot(model: model.unitVarianceModel, baseVisibleBias: baseVisibleBias,
                                    visible: model.unitVarianceCoordinates(visible, rows: rows),
                                    rows: rows, seed: options.seed, workers: options.workers)
    }
}

/// One round of the bracket: the inverse temperatures used, the schedule both sides ran on, and
/// the two sides' log Z.
public struct BracketRound: Sendable, Equatable {
    public var betas: Int
    public var schedule: BracketSchedule = .paper
    /// AIS's log Z and reverse AIS's (the mean of L over the data points) in this round, with
    /// their standard errors.
    public var logPartitionFunction: Double
    public var standardError: Double
    public var reverseLogPartitionFunction: Double
    public var reverseStandardError: Double
    /// Reverse AIS's log Z − AIS's: this round's bracket width in nats.
    public var width: Double { reverseLogPartitionFunction - logPartitionFunction }
    /// Two standard errors of the width, the sides' errors independent: how far the width itself
    /// may be off by chance.
    public var widthNoise: Double { 2 * (standardError * standardError + reverseStandardError * reverseStandardError).squareRoot() }

    /// Whether the sides agree within `threshold` nats, their noise included: |width| + 2 standard
    /// errors of the width ≤ threshold. A narrow width from noisy sides is not agreement: on a
    /// categorical CD-1 model (16 hidden units) one round read AIS 1.63 and reverse AIS 1.73 nats
    /// above the exact log Z, 0.11 apart, AIS's standard error 0.91 (docs/models.md).
    public func agrees(within threshold: Double) -> Bool { abs(width) + widthNoise <= threshold }
}

/// The inverse temperatures a round of the bracket ran on, AIS and reverse AIS alike: the
/// paper's, or placed by where the chains lagged in the round before
/// (`AnnealingSchedule.lagAdapted`).
public enum BracketSchedule: String, Sendable, Equatable {
    case paper
    case lagAdapted = "lag-adapted"
}

/// The numbers a model earns on one split.
public struct EvaluationReport: Sendable, Equatable {
    public var split: String
    public var samples: Int
    public var reconstructionError: Double
    public var meanFreeEnergy: Double
    /// Mean Σᵢ log P(vᵢ | v₋ᵢ), exact, and the one-random-unit estimate.
    public var pseudoLikelihood: Double?
    public var stochasticPseudoLikelihood: Double?
    /// "exact" or "AIS (R runs, K β)".
    public var logPartitionMethod: String?
    public var logPartitionFunction: Double?
    public var logPartitionLower: Double?
    public var logPartitionUpper: Double?
    /// AIS's standard error of log Z (nil when exact).
    public var logPartitionStandardError: Double?
    /// The bracket's other side: reverse AIS's log Z (the mean over its data points of L) and
    /// its standard error, the number of data points, and the exact log Z when it could be
    /// enumerated.
    public var reverseLogPartitionFunction: Double?
    public var reverseStandardError: Double?
    public var reversePoints: Int?
    /// Reverse AIS's chains per data point (L of a point: the log-mean-exp of its chains').
    public var reverseChainsPerPoint: Int?
    /// The schedule of the reported (last) round: AIS and reverse AIS ran on the same one.
    public var schedule: BracketSchedule = .paper
    public var exactLogPartitionFunction: Double?
    /// The width (nats) above which the bracket is reported as a disagreement.
    public var bracketWarning = EvaluationOptions.defaultBracketWarning
    /// Every round of the bracket, in the order run (one unless a second look or
    /// `--betas-until-agree` added more).
    public var bracketRounds: [BracketRound] = []
    /// How many rounds the reported sides pool (those at the last round's count: 2 after a
    /// second look at the same count).
    public var pooledRounds: Int?
    public var seconds: Double
    /// The model's visible units (log-likelihoods of Gaussian units are densities).
    public var visibleUnits: VisibleUnits = .bernoulli
    /// True when the data were standardised (as the model was trained: from the checkpoint).
    public var standardized = false

    /// Records an AIS estimate as the report's log Z.
    mutating func record(_ estimate: AnnealedImportanceSampling.Estimate, runs: Int, betas: Int, jumps: Bool = false,
                         schedule: BracketSchedule = .paper, pooledRounds: Int = 1) {
        logPartitionMethod = "AIS, \(runs) runs, \(betas) β" + (pooledRounds > 1
            ? " in \(pooledRounds) rounds pooled, the last placed by the lag"
            : (schedule == .lagAdapted ? " placed by the lag" : ""))
            + (jumps ? ", mode jumps" : "")
        logPartitionFunction = estimate.logPartitionFunction
        logPartitionLower = estimate.lower
        logPartitionUpper = estimate.upper
        logPartitionStandardError = estimate.standardError
    }

    /// Mean log p(v) = −mean F(v) − log Z.
    public var averageLogLikelihood: Double? { logPartitionFunction.map { -meanFreeEnergy - $0 } }
    /// The log-likelihood band from the log Z band (a larger Z means a lower likelihood).
    public var averageLogLikelihoodLower: Double? { logPartitionUpper.map { -meanFreeEnergy - $0 } }
    public var averageLogLikelihoodUpper: Double? { logPartitionLower.map { -meanFreeEnergy - $0 } }
    /// The bracket's conservative side: −mean F(v) − reverse AIS's log Z.
    public var conservativeLogLikelihood: Double? { reverseLogPartitionFunction.map { -meanFreeEnergy - $0 } }
    /// Reverse AIS's log Z − AIS's, in nats: how far apart the bracket's ends are (negative when
    /// they cross, as stochastic bounds may by their standard errors).
    public var bracketWidth: Double? {
        guard let reverse = reverseLogPartitionFunction, let forward = logPartitionFunction else { return nil }
        return reverse - forward
    }
    /// True when the bracket is wider than `bracketWarning` (either way).
    public var bracketDisagrees: Bool { bracketWidth.map { abs($0) > bracketWarning } ?? false }
    /// The reported two sides (pooled, when rounds were) as a round of the bracket.
    var reportedBracket: BracketRound? {
        guard let forward = logPartitionFunction, let forwardError = logPartitionStandardError,
              let reverse = reverseLogPartitionFunction, let reverseError = reverseStandardError else { return nil }
        return BracketRound(betas: bracketRounds.last?.betas ?? 0, schedule: schedule, logPartitionFunction: forward,
                            standardError: forwardError, reverseLogPartitionFunction: reverse, reverseStandardError: reverseError)
    }
    /// Two standard errors of the reported width (`BracketRound.widthNoise`).
    public var bracketWidthNoise: Double? { reportedBracket?.widthNoise }
    /// True when the bracket is within `bracketWarning` but its sides' noise is not
    /// (`BracketRound.agrees`): the width could exceed the threshold by chance.
    public var bracketUncertain: Bool {
        guard let reported = reportedBracket, !bracketDisagrees else { return false }
        return !reported.agrees(within: bracketWarning)
    }
    /// The exact log-likelihood, when a bracket was computed beside an exact log Z.
    public var exactLogLikelihood: Double? { exactLogPartitionFunction.map { -meanFreeEnergy - $0 } }


    /// The report as one JSON object (`rbm evaluate --json`), for programs: snake_case keys,
    /// null for what was not computed (log Z when not asked, the band of an exact log Z).
    public var json: String {
        func number(_ value: Double?) -> String {
            guard let value else { return "null" }
            return value.isFinite ? "\(value)" : (value > 0 ? "\"inf\"" : (value < 0 ? "\"-inf\"" : "\"nan\""))
        }
        func text(_ value: String?) -> String {
            guard let value else { return "null" }
            return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let exact = logPartitionMethod == "exact"
        let fields: [(String, String)] = [
            ("split", text(split)), ("samples", "\(samples)"), ("visible_units", text(visibleUnits.name)),
            ("reconstruction_error", number(reconstructionError)), ("mean_free_energy", number(meanFreeEnergy)),
            ("pseudo_likelihood", number(pseudoLikelihood)), ("stochastic_pseudo_likelihood", number(stochasticPseudoLikelihood)),
            ("log_z_method", text(logPartitionMethod)), ("log_z", number(logPartitionFunction)),
            ("log_z_lower", number(exact ? nil : logPartitionLower)), ("log_z_upper", number(exact ? nil : logPartitionUpper)),
            ("log_z_standard_error", number(logPartitionStandardError)),
            ("log_z_reverse", number(reverseLogPartitionFunction)), ("log_z_reverse_standard_error", number(reverseStandardError)),
            ("reverse_points", reversePoints.map { "\($0)" } ?? "null"),
            ("reverse_chains_per_point", reverseChainsPerPoint.map { "\($0)" } ?? "null"),
            ("reverse_schedule", text(reverseLogPartitionFunction == nil ? nil : schedule.rawValue)),
            ("bracket_pooled_rounds", reverseLogPartitionFunction == nil ? "null" : "\(pooledRounds ?? 1)"),
            ("log_z_exact", number(exactLogPartitionFunction)),
            ("average_log_likelihood", number(averageLogLikelihood)),
            ("log_likelihood_lower", number(conservativeLogLikelihood)), ("bracket_width", number(bracketWidth)),
            ("bracket_disagrees", reverseLogPartitionFunction == nil ? "null" : (bracketDisagrees ? "true" : "false")),
            ("bracket_width_noise", number(reverseLogPartitionFunction == nil ? nil : bracketWidthNoise)),
            ("bracket_uncertain", reverseLogPartitionFunction == nil ? "null" : (bracketUncertain ? "true" : "false")),
            ("bracket_rounds", reverseLogPartitionFunction == nil ? "null" : "[" + bracketRounds.map {
                "{\"betas\": \($0.betas), \"schedule\": \(text($0.schedule.rawValue)), \"log_z\": \(number($0.logPartitionFunction)), "
                    + "\"log_z_standard_error\": \(number($0.standardError)), "
                    + "\"log_z_reverse\": \(number($0.reverseLogPartitionFunction)), "
                    + "\"log_z_reverse_standard_error\": \(number($0.reverseStandardError)), \"width\": \(number($0.width))}"
            }.joined(separator: ", ") + "]"),
            ("exact_log_likelihood", number(exactLogLikelihood)),
            ("log_density", visibleUnits.hasDensity ? "true" : "false"),
            ("standardized", standardized ? "true" : "false"), ("seconds", number(seconds)),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    public var lines: [String] {
        var lines = [
            "split: \(split) (\(samples) samples)",
            "reconstruction error: \(format(reconstructionError, 3)) (squared, summed over visible units, per sample)",
            "mean free energy: \(format(meanFreeEnergy, 3))",
        ]
        if let pseudoLikelihood { lines.append("pseudo-log-likelihood: \(format(pseudoLikelihood, 3)) nats (exact over all units)") }
        if let stochasticPseudoLikelihood {
            lines.append("pseudo-log-likelihood, one random unit: \(format(stochasticPseudoLikelihood, 3)) nats")
        }
        if let logZ = logPartitionFunction, let method = logPartitionMethod, let average = averageLogLikelihood {
            var band = ""
            if let low = logPartitionLower, let high = logPartitionUpper, method != "exact" {
                band = " [\(format(low, 3)), \(format(high, 3))]"
            }
            lines.append("log Z: \(format(logZ, 3))\(band) (\(method))")
            var likelihoodBand = ""
            if let low = averageLogLikelihoodLower, let high = averageLogLikelihoodUpper, method != "exact" {
                likelihoodBand = " [\(low.isFinite ? format(low, 2) : "-inf"), \(high.isFinite ? format(high, 2) : "+inf")]"
            }
            lines.append("average log-likelihood: \(format(average, 2)) nats\(likelihoodBand)"
                + (visibleUnits.hasDensity
                    ? " (a log-density: Gaussian visible units, \(standardized ? "standardised data" : "data as given, not standardised"))" : ""))
        }
        lines += bracketLines
        lines.append("time: \(format(seconds, 1)) s")
        return lines
    }
}

public enum EvaluationError: ExitStatusError {
    case exactTooLarge(smallerLayer: Int)

    public var description: String {
        switch self {
        case let .exactTooLarge(units):
            return "exact log Z enumerates 2^\(units) states of the smaller layer; at most \(ModelEvaluation.exactLimit) units are allowed (use AIS)"
        }
    }
}

/// Evaluation of a model on binarized data.
public enum ModelEvaluation {
    /// The largest smaller layer `auto` enumerates exactly (2²⁴ states: seconds).
    public static let exactLimit = 24

    /// - Parameters:
    ///   - visible: the split's visible vectors (already binarized), `rows` × n_visible.
    ///   - baseMarginals: the training data's visible marginals, for AIS's base-rate model.
    ///   - baseVariances: the training data's visible variances, which the kinds that fit their
    ///     base to them use (`AnnealedImportanceSampling.baseParameters`: Gaussian units); nil:
    ///     means alone (a Gaussian base of unit variances).
    ///
    /// Under several `ranks` (every rank calls this with the same arguments) exact log Z's
    /// chunks and AIS's runs are split between them; every rank gets the same report, the one
    /// a single process computes.
    public static func evaluate(model: RBMModel, split: String, visible: [Float], rows: Int,
                                baseMarginals: [Float], baseVariances: [Float]? = nil, options: EvaluationOptions,
                                ranks: any RankGroup = SingleProcess(),
                                progress: (String) -> Void = { _ in }) throws(EvaluationError) -> EvaluationReport {
        let start = monotonicSeconds()
        let workers = options.workers
        // The layer exact log Z enumerates: the smaller one, or the hidden one when the visible
        // units are not Bernoulli (they are summed or integrated out in closed form).
        let smaller = model.visibleUnits.enumeratedLayerSize(visibleCount: model.visibleCount, hiddenCount: model.hiddenCount)
        var report = EvaluationReport(
            split: split, samples: rows,
            reconstructionError: Monitoring.reconstructionError(model: model, visible: visible, rows: rows, workers: workers),
            meanFreeEnergy: Monitoring.meanFreeEnergy(model: model, visible: visible, rows: rows, workers: workers),
            pseudoLikelihood: options.pseudoLikelihood
                ? finite(PseudoLikelihood.mean(model: model, visible: visible, rows: rows, method: .exact, workers: workers)) : nil,
            stochasticPseudoLikelihood: finite(PseudoLikelihood.mean(model: model, visible: visible, rows: rows,
                                                                     method: .stochastic(seed: options.seed), workers: workers)),
            seconds: 0)
        report.visibleUnits = model.visibleUnits
        var method = options.logLikelihood
        if method == .auto { method = smaller <= exactLimit ? .exact : .ais }
        switch method {
        case .exact:
            guard smaller <= RBMModel.exactEnumerationLimit else { throw .exactTooLarge(smallerLayer: smaller) }
            let logZ = model.exactLogPartitionFunction(workers: workers, ranks: ranks)
            report.logPartitionMethod = "exact"
            report.logPartitionFunction = logZ
            report.logPartitionLower = logZ
            report.logPartitionUpper = logZ
        case .ais:
            var annealing = AnnealedImportanceSampling(runs: options.aisRuns, betaCount: options.aisBetas,
                                                       seed: options.seed, workers: workers)
            let baseBias = AnnealedImportanceSampling.baseParameters(model: model, means: baseMarginals, variances: baseVariances)
            annealing.guide = annealingGuide(model: model, baseVisibleBias: baseBias, visible: visible, rows: rows, options: options)
            let estimate = annealing.estimate(model: model, baseVisibleBias: baseBias, ranks: ranks)
            report.record(estimate, runs: options.aisRuns, betas: options.aisBetas, jumps: annealing.guide != nil)
        case .bracket:
            bracket(model: model, visible: visible, rows: rows, baseMarginals: baseMarginals, baseVariances: baseVariances,
                    options: options, ranks: ranks,
                    progress: progress, into: &report)
        case .none, .auto:
            break
        }
        report.seconds = monotonicSeconds() - start
        return report
    }
}

/// nil for NaN (a pseudo-likelihood that does not exist for the units).
func finite(_ value: Double) -> Double? { value.isNaN ? nil : value }
