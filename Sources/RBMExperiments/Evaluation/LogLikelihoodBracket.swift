import RBM
import RBMSystem

/// A two-sided estimate of the log-likelihood: AIS from the base model (its log Ẑ errs low, so
/// its log-likelihood high) beside reverse AIS from the data (whose log-likelihood errs low), so
/// that a user sees how far an estimate can be trusted rather than one optimistic number.
extension ModelEvaluation {
    /// Fills the report's log Z fields with AIS and reverse AIS at `options.aisBetas` inverse
    /// temperatures, plus the exact log Z when the enumerated layer has at most `exactLimit` units.
    ///
    /// When reverse AIS sits more than `options.bracketWarning` above AIS, one more round runs
    /// reverse AIS alone at the same count on a schedule placed by where the two lagged
    /// (`AnnealingSchedule.lagAdapted`; AIS keeps the paper's schedule, which serves it well),
    /// with the mode jumps, if any, after every transition.
    /// With `options.betaBudget`, rounds then double the count — AIS on the paper's schedule,
    /// reverse AIS adapted from the round before — until the bracket is within the warning or
    /// the next round would pass the budget. Each adapted round draws from a seed of its own, so
    /// its schedule does not depend on the numbers it uses: each side stays a stochastic bound.
    static func bracket(model: RBMModel, visible: [Float], rows: Int, baseMarginals: [Float], baseVariances: [Float]?,
                        options: EvaluationOptions, ranks: any RankGroup, progress: (String) -> Void,
                        into report: inout EvaluationReport) {
        let baseBias = AnnealedImportanceSampling.baseParameters(model: model, means: baseMarginals, variances: baseVariances)
        let smaller = model.visibleUnits.enumeratedLayerSize(visibleCount: model.visibleCount, hiddenCount: model.hiddenCount)
        if smaller <= exactLimit {
            report.exactLogPartitionFunction = model.exactLogPartitionFunction(workers: options.workers, ranks: ranks)
        }
        report.bracketWarning = options.bracketWarning
        var betas = options.aisBetas
        let guide = annealingGuide(model: model, baseVisibleBias: baseBias, visible: visible, rows: rows, options: options)
        var forward: (estimate: AnnealedImportanceSampling.Estimate, run: AnnealingSchedule.Run)?
        var adaptedReverse: [Double]?   // the next round's reverse schedule; nil: the paper's
        var sameCountLookTaken = false
        while true {
            var annealing = AnnealedImportanceSampling(runs: options.aisRuns, betaCount: betas, seed: options.seed,
                                                       workers: options.workers)
            annealing.guide = guide
            if forward == nil {
                let estimate = annealing.estimate(model: model, baseVisibleBias: baseBias, ranks: ranks)
                forward = (estimate, AnnealingSchedule.Run(betas: annealing.betas, meanIncrements: estimate.meanIncrements))
            }
            let (forwardEstimate, forwardRun) = forward!
            var reverseAnnealing = annealing
            if let adaptedReverse {
                reverseAnnealing.betas = adaptedReverse
                reverseAnnealing.seed = adaptedSeed(options.seed, round: report.bracketRounds.count)
                // Guided jumps (categorical units) after every transition, not every fourth: on
                // the 20-hidden model the second look came 2.00 → 1.31 nats above the exact log Z
                // for 5 % more time (docs/models.md).
                reverseAnnealing.guide = guide?.jumping(every: 1)
            }
            let reverse = reverseAnnealing.reverseEstimate(model: model, baseVisibleBias: baseBias, visible: visible,
                                                           rows: rows, ranks: ranks)
            report.record(forwardEstimate, runs: options.aisRuns, betas: betas, jumps: guide != nil)
            report.reverseLogPartitionFunction = reverse.logPartitionFunction
            report.reverseStandardError = reverse.standardError
            report.reversePoints = reverse.points.count
            report.reverseSchedule = adaptedReverse == nil ? .paper : .lagAdapted
            let width = reverse.logPartitionFunction - forwardEstimate.logPartitionFunction
            report.bracketRounds.append(BracketRound(betas: betas, width: width, reverseSchedule: report.reverseSchedule))
            let agrees = abs(width) <= options.bracketWarning
            if options.betaBudget != nil || !agrees || report.bracketRounds.count > 1 {
                progress("bracket at \(groupedThousands(Double(betas))) β"
                    + (adaptedReverse == nil ? "" : " (reverse AIS on the lag-adapted schedule)")
                    + ": width \(format(width, 3)) nats" + (agrees ? " (within \(format(options.bracketWarning, 2)))" : ""))
            }
            if agrees { break }
            let reverseRun = AnnealingSchedule.Run(betas: reverseAnnealing.betas, meanIncrements: reverse.meanIncrements)
            if !sameCountLookTaken {
                // A second look at the same count, reverse AIS alone: only where it sits above AIS
                // (a crossing is not a lag a schedule can close) and some stretch of β lagged.
                sameCountLookTaken = true
                if width > 0, let adapted = AnnealingSchedule.lagAdapted(count: betas, forward: forwardRun, reverse: reverseRun) {
                    adaptedReverse = adapted
                    continue
                }
            }
            guard let budget = options.betaBudget, 2 * betas <= budget else { break }
            betas *= 2
            adaptedReverse = AnnealingSchedule.lagAdapted(count: betas, forward: forwardRun, reverse: reverseRun)
            forward = nil
        }
    }

    /// The seed of an adapted round's reverse AIS: apart from every earlier round's.
    static func adaptedSeed(_ seed: UInt64, round: Int) -> UInt64 { seed &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15 }
}

extension EvaluationReport {
    /// The bracket's lines: both sides with their standard errors, the bracket, the exact value
    /// when known, and a warning when the sides disagree.
    var bracketLines: [String] {
        guard let reverse = reverseLogPartitionFunction, let reverseError = reverseStandardError,
              let forward = logPartitionFunction, let lower = conservativeLogLikelihood,
              let upper = averageLogLikelihood, let width = bracketWidth else { return [] }
        var lines = [
            "reverse AIS log Z: \(format(reverse, 3)) ± \(format(reverseError, 3)) (\(reversePoints ?? 0) data points"
                + (reverseSchedule == .lagAdapted ? ", β placed by the lag" : "") + "; "
                + "AIS: \(format(forward, 3)) ± \(format(logPartitionStandardError ?? .nan, 3)))",
            "log-likelihood bracket: [\(format(lower, 2)), \(format(upper, 2))] nats (reverse AIS, AIS), "
                + "width \(format(width, 3)) nats",
        ]
        if let exact = exactLogLikelihood {
            // Stochastic bounds: each side may cross the truth by a few standard errors.
            let slack = 3 * max(reverseError, logPartitionStandardError ?? 0)
            let inside = exact >= lower - slack && exact <= upper + slack
            lines.append("exact log-likelihood: \(format(exact, 2)) nats ("
                + (inside ? "inside the bracket" : "OUTSIDE the bracket by more than 3 standard errors") + ")")
        }
        if rounds > 1 {
            lines.append("inverse temperatures per round: " + bracketRounds.map {
                "\(groupedThousands(Double($0.betas))) β\($0.reverseSchedule == .lagAdapted ? " (adapted)" : "") → \(format($0.width, 3))"
            }.joined(separator: ", "))
        }
        if bracketDisagrees, width > 0 {
            lines.append("warning: AIS and reverse AIS disagree by \(format(width, 2)) nats (more than "
                + "\(format(bracketWarning, 2)), evaluation.bracket_warning): the true value may lie anywhere in the "
                + "bracket. More inverse temperatures usually close it (--ais-betas, or --betas-until-agree); more runs "
                + "only narrow the standard errors.")
        } else if bracketDisagrees {
            lines.append("warning: the two sides cross by \(format(-width, 2)) nats (more than \(format(bracketWarning, 2)), "
                + "evaluation.bracket_warning): reverse AIS is conservative for the annealed model its chains sample, and "
                + "that model gives these data more probability than the model itself, so neither side bounds the truth "
                + "here. More inverse temperatures bring the two models together (--ais-betas, or --betas-until-agree).")
        }
        return lines
    }

    private var rounds: Int { bracketRounds.count }
}
