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
    /// both sides again at the same count on a schedule placed by where the two lagged
    /// (`AnnealingSchedule.lagAdapted`), with the mode jumps, if any, after every transition.
    /// With `options.betaBudget`, rounds then double the count, each adapted from the round
    /// before, until the bracket is within the warning or the next round would pass the budget.
    /// Each adapted round draws from seeds of its own (one per side), so its schedule does not
    /// depend on the numbers it uses: each round's Ẑ is unbiased for Z and each side a
    /// stochastic bound.
    ///
    /// The report pools the rounds at the last round's count (the paper's round and its second
    /// look, or the last doubled round alone): every AIS run's w in one mean, every reverse chain
    /// from a point in its L (`Estimate.pooled`, `ReverseEstimate.pooled`). Each side stays a
    /// stochastic bound and lands within log 2 of its better round, where reporting the second
    /// look alone could be far worse than the first (measured: docs/models.md, "Which round the
    /// report gives"); and of the bias the rule for taking a second look puts on round one (it is
    /// taken when round one disagrees), the pooled report carries half. Not each side's best
    /// round: a maximum over R rounds of log Ẑ_r is a stochastic bound only up to log R nats, and
    /// it picks the chance overshoots of AIS's heavy-tailed weights. Every round is listed.
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
        var adapted: [Double]?   // this round's schedule; nil: the paper's
        var sameCountLookTaken = false
        // The rounds at the current count, pooled for the report.
        var atThisCount: [(forward: AnnealedImportanceSampling.Estimate, reverse: AnnealedImportanceSampling.ReverseEstimate)] = []
        while true {
            var forwardAnnealing = AnnealedImportanceSampling(runs: options.aisRuns, betaCount: betas, seed: options.seed,
                                                              workers: options.workers)
            forwardAnnealing.guide = guide
            var reverseAnnealing = forwardAnnealing
            reverseAnnealing.chainsPerPoint = options.reverseChainsPerPoint
            if let adapted {
                let round = report.bracketRounds.count
                // Guided jumps (categorical units) after every transition, not every fourth: on
                // the 20-hidden model reverse AIS's second look came 2.00 → 1.31 nats above the
                // exact log Z for 5 % more time; on the CD-1 16-hidden model AIS's came 1.12
                // below with every fourth, 0.33 above with every one (docs/models.md).
                func placed(_ side: Side) -> AnnealedImportanceSampling {
                    var annealing = side == .forward ? forwardAnnealing : reverseAnnealing
                    annealing.betas = adapted
                    annealing.seed = adaptedSeed(options.seed, round: round, side: side)
                    annealing.guide = guide?.jumping(every: 1)
                    return annealing
                }
                (forwardAnnealing, reverseAnnealing) = (placed(.forward), placed(.reverse))
            }
            let schedule: BracketSchedule = adapted == nil ? .paper : .lagAdapted
            let forward = forwardAnnealing.estimate(model: model, baseVisibleBias: baseBias, ranks: ranks)
            let reverse = reverseAnnealing.reverseEstimate(model: model, baseVisibleBias: baseBias, visible: visible,
                                                           rows: rows, ranks: ranks)
            let round = BracketRound(betas: betas, schedule: schedule, logPartitionFunction: forward.logPartitionFunction,
                                     standardError: forward.standardError,
                                     reverseLogPartitionFunction: reverse.logPartitionFunction,
                                     reverseStandardError: reverse.standardError)
            report.bracketRounds.append(round)
            if report.bracketRounds.dropLast().last?.betas != betas { atThisCount = [] }
            atThisCount.append((forward, reverse))
            let pooledForward = AnnealedImportanceSampling.Estimate.pooled(atThisCount.map(\.forward))
            let pooledReverse = AnnealedImportanceSampling.ReverseEstimate.pooled(atThisCount.map(\.reverse))
            report.record(pooledForward, runs: options.aisRuns * atThisCount.count, betas: betas, jumps: guide != nil,
                          schedule: schedule, pooledRounds: atThisCount.count)
            report.reverseLogPartitionFunction = pooledReverse.logPartitionFunction
            report.reverseStandardError = pooledReverse.standardError
            report.reversePoints = pooledReverse.points.count
            report.reverseChainsPerPoint = pooledReverse.chainsPerPoint
            report.schedule = schedule
            report.pooledRounds = atThisCount.count
            let reported = report.reportedBracket!
            // Agreement counts the sides' noise: a narrow width from noisy sides takes the second
            // look (and, with a budget, more β) like a wide one. It is the reported (pooled) pair's.
            let agrees = reported.agrees(within: options.bracketWarning)
            if options.betaBudget != nil || !agrees || report.bracketRounds.count > 1 {
                progress("bracket at \(groupedThousands(Double(betas))) β"
                    + (adapted == nil ? "" : " (β placed by the lag)")
                    + ": width \(format(round.width, 3)) ± \(format(round.widthNoise, 3)) nats"
                    + (atThisCount.count > 1 ? "; pooled with the round before: \(format(reported.width, 3)) ± \(format(reported.widthNoise, 3))" : "")
                    + (agrees ? " (within \(format(options.bracketWarning, 2)))" : ""))
            }
            if agrees { break }
            let forwardRun = AnnealingSchedule.Run(betas: forwardAnnealing.betas, meanIncrements: forward.meanIncrements)
            let reverseRun = AnnealingSchedule.Run(betas: reverseAnnealing.betas, meanIncrements: reverse.meanIncrements)
            if !sameCountLookTaken {
                // A second look at the same count: only where reverse AIS sits above AIS (a
                // crossing is not a lag a schedule can close) and some stretch of β lagged.
                sameCountLookTaken = true
                if reported.width > 0, let placed = AnnealingSchedule.lagAdapted(count: betas, forward: forwardRun, reverse: reverseRun) {
                    adapted = placed
                    continue
                }
            }
            guard let budget = options.betaBudget, 2 * betas <= budget else { break }
            betas *= 2
            adapted = AnnealingSchedule.lagAdapted(count: betas, forward: forwardRun, reverse: reverseRun)
        }
    }

    /// The two directions of annealing, for their seeds.
    enum Side { case forward, reverse }

    /// The seed of an adapted round's AIS or reverse AIS: apart from every earlier round's and
    /// from the other side's (reverse AIS keeps the seeds it had when AIS kept the paper's schedule).
    static func adaptedSeed(_ seed: UInt64, round: Int, side: Side) -> UInt64 {
        let reverseSeed = seed &+ UInt64(round) &* 0x9E37_79B9_7F4A_7C15
        return side == .reverse ? reverseSeed : reverseSeed ^ 0xD1B5_4A32_D192_ED03
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
            "reverse AIS log Z: \(format(reverse, 3)) ± \(format(reverseError, 3)) (\(reversePoints ?? 0) data points × \(reverseChainsPerPoint ?? 1) chain\(reverseChainsPerPoint == 1 ? "" : "s")"
                + ((pooledRounds ?? 1) > 1 ? ", \(pooledRounds ?? 1) rounds pooled, the last with β placed by the lag"
                    : (schedule == .lagAdapted ? ", β placed by the lag" : "")) + "; "
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
                "\(groupedThousands(Double($0.betas))) β\($0.schedule == .lagAdapted ? " (adapted)" : "") → \(format($0.width, 3))"
                    + " (AIS \(format($0.logPartitionFunction, 3)), reverse \(format($0.reverseLogPartitionFunction, 3)))"
            }.joined(separator: ", ") + ((pooledRounds ?? 1) > 1 ? "; the report pools the \(pooledRounds ?? 1) at \(groupedThousands(Double(bracketRounds.last?.betas ?? 0))) β" : "; the report gives the last"))
        }
        if bracketDisagrees, width > 0 {
            lines.append("warning: AIS and reverse AIS disagree by \(format(width, 2)) nats (more than "
                + "\(format(bracketWarning, 2)), evaluation.bracket_warning): the true value may lie anywhere in the "
                + "bracket. More inverse temperatures usually close it (--ais-betas, or --betas-until-agree); more runs "
                + "only narrow the standard errors.")
        } else if bracketUncertain, let noise = bracketWidthNoise {
            lines.append("warning: AIS and reverse AIS are \(format(abs(width), 2)) nats apart, but two standard errors of "
                + "that width are \(format(noise, 2)) nats: they may disagree by more than \(format(bracketWarning, 2)) "
                + "(evaluation.bracket_warning). More runs narrow the standard errors (--ais-runs); more inverse "
                + "temperatures usually help too (--betas-until-agree).")
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
