import RBM
import RBMSystem

/// A two-sided estimate of the log-likelihood: AIS from the base model (its log Ẑ errs low, so
/// its log-likelihood high) beside reverse AIS from the data (whose log-likelihood errs low), so
/// that a user sees how far an estimate can be trusted rather than one optimistic number.
extension ModelEvaluation {
    /// Fills the report's log Z fields with AIS and reverse AIS at `options.aisBetas` inverse
    /// temperatures — and, with `options.betaBudget`, again at twice as many until the bracket
    /// is within `options.bracketWarning` or the next round would pass the budget — plus the
    /// exact log Z when the enumerated layer has at most `exactLimit` units.
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
        let guide = annealingGuide(model: model, visible: visible, rows: rows, options: options)
        while true {
            var annealing = AnnealedImportanceSampling(runs: options.aisRuns, betaCount: betas, seed: options.seed,
                                                       workers: options.workers)
            annealing.guide = guide
            let forward = annealing.estimate(model: model, baseVisibleBias: baseBias, ranks: ranks)
            let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: baseBias, visible: visible, rows: rows,
                                                    ranks: ranks)
            report.record(forward, runs: options.aisRuns, betas: betas, jumps: guide != nil)
            report.reverseLogPartitionFunction = reverse.logPartitionFunction
            report.reverseStandardError = reverse.standardError
            report.reversePoints = reverse.points.count
            let width = reverse.logPartitionFunction - forward.logPartitionFunction
            report.bracketRounds.append(BracketRound(betas: betas, width: width))
            guard let budget = options.betaBudget else { break }
            progress("bracket at \(groupedThousands(Double(betas))) β: width \(format(width, 3)) nats"
                + (abs(width) <= options.bracketWarning ? " (within \(format(options.bracketWarning, 2)))" : ""))
            if abs(width) <= options.bracketWarning || 2 * betas > budget { break }
            betas *= 2
        }
    }
}

extension EvaluationReport {
    /// The bracket's lines: both sides with their standard errors, the bracket, the exact value
    /// when known, and a warning when the sides disagree.
    var bracketLines: [String] {
        guard let reverse = reverseLogPartitionFunction, let reverseError = reverseStandardError,
              let forward = logPartitionFunction, let lower = conservativeLogLikelihood,
              let upper = averageLogLikelihood, let width = bracketWidth else { return [] }
        var lines = [
            "reverse AIS log Z: \(format(reverse, 3)) ± \(format(reverseError, 3)) (\(reversePoints ?? 0) data points; "
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
                "\(groupedThousands(Double($0.betas))) β → \(format($0.width, 3))"
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
