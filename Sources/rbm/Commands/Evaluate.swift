import ArgumentParser
import RBMSystem
import RBM
import RBMCluster
import RBMExperiments

extension ModeJumps: ExpressibleByArgument {}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint: reconstruction error, free energy, pseudo-likelihood, log Z and log-likelihood.",
        discussion: """
            log Z is exact (enumerating the smaller layer) when it has at most 24 units, else \
            estimated by Annealed Importance Sampling from a base-rate model with the training \
            data's marginals (Salakhutdinov & Murray 2008), reported with a ±3 standard-error band. \
            AIS tends to overstate the log-likelihood; --bracket adds reverse AIS from the data \
            (RAISE, Burda et al. 2015), which tends to understate it, and prints the bracket \
            between the two (and the exact value when the model is small enough). \
            The data and their binarization come from the config stored in the checkpoint \
            unless --data names a config or an IDX folder.
            """)

    @Argument(help: "A checkpoint.h5 written by rbm train.")
    var checkpoint: String

    @Option(help: "train, validation or test.")
    var split = "test"

    @Option(help: "An experiment config or IDX folder (default: the checkpoint's own config).")
    var data: String?

    @Option(help: "AIS runs.") var aisRuns = AnnealedImportanceSampling.defaultRuns
    @Option(help: "AIS inverse temperatures (the paper's 14,500 by default).") var aisBetas = AnnealedImportanceSampling.defaultBetaCount
    @Flag(help: "Compute log Z exactly even above 24 units (up to 30; 2^n work).") var exact = false
    @Flag(help: "Force AIS even for small models.") var ais = false
    @Flag(help: "AIS and reverse AIS side by side: a bracket on the log-likelihood.") var bracket = false
    @Flag(help: "With a bracket: double the inverse temperatures until it is within --bracket-warning nats (up to --max-betas).")
    var betasUntilAgree = false
    @Option(help: "The bracket width (nats) above which AIS and reverse AIS are said to disagree.")
    var bracketWarning = EvaluationOptions.defaultBracketWarning
    @Option(help: "Reverse AIS's chains per data point: the --ais-runs chains start from --ais-runs / this many points, and a point's estimate pools its chains'.")
    var reverseChainsPerPoint = EvaluationOptions.defaultReverseChainsPerPoint
    @Option(help: "The most inverse temperatures --betas-until-agree may reach.") var maxBetas = 16 * AnnealedImportanceSampling.defaultBetaCount
    @Option(help: "Mode jumps in AIS and reverse AIS, guided by the split's data: auto (on for categorical units), on or off.")
    var aisJumps = ModeJumps.auto
    @Flag(help: "Skip the exact pseudo-likelihood (n_visible × n_hidden work per sample).") var noPseudoLikelihood = false
    @Option(help: "Use only the first N samples of the split.") var samples: Int?
    @Option(help: "The seed of AIS, reverse AIS and the pseudo-likelihood's draws (default: the run's training seed): another seed, an independent estimate.")
    var seed: UInt64?
    @Option(help: "Threads to use (default: every core).", transform: WorkersOption.parse) var workers: Int?
    @Flag(help: "Print the report as one JSON object (for programs) instead of lines.") var json = false

    func validate() throws {
        guard [exact, ais, bracket].filter({ $0 }).count <= 1 else {
            throw ValidationError("--exact, --ais and --bracket choose how to get log Z: give at most one")
        }
        guard aisRuns >= 1 else { throw ValidationError("--ais-runs must be at least 1 (got \(aisRuns))") }
        guard reverseChainsPerPoint >= 1 else {
            throw ValidationError("--reverse-chains-per-point must be at least 1 (got \(reverseChainsPerPoint))")
        }
        guard aisBetas >= 3 else { throw ValidationError("--ais-betas must be at least 3 (got \(aisBetas))") }
        guard bracketWarning > 0, bracketWarning.isFinite else {
            throw ValidationError("--bracket-warning must be a positive number of nats (got \(bracketWarning))")
        }
        guard !betasUntilAgree || maxBetas >= aisBetas else {
            throw ValidationError("--max-betas (\(maxBetas)) must be at least --ais-betas (\(aisBetas))")
        }
        guard !betasUntilAgree || !(exact || ais) else {
            throw ValidationError("--betas-until-agree needs the bracket (it cannot go with --exact or --ais)")
        }
    }

    func run() throws {
        // One Ctrl-C or SIGTERM ends the command at once, and the HDF5 reader child with it.
        Interruption.install()
        let method: LogLikelihoodMethod = exact ? .exact : (ais ? .ais : (bracket || betasUntilAgree ? .bracket : .auto))
        var options = EvaluationOptions(logLikelihood: method, aisRuns: aisRuns,
                                        aisBetas: aisBetas, pseudoLikelihood: !noPseudoLikelihood,
                                        bracketWarning: bracketWarning, betaBudget: betasUntilAgree ? maxBetas : nil,
                                        modeJumps: aisJumps, workers: DataParallel.workers(workers))
        options.estimateSeed = seed
        options.reverseChainsPerPoint = reverseChainsPerPoint
        if json {
            let report = try ModelEvaluation.evaluate(checkpoint: checkpoint, split: split, data: data, samples: samples,
                                                      options: options, log: { _ in })
            if Cluster.world().isRoot { print(report.json) }
        } else {
            try ModelEvaluation.evaluate(checkpoint: checkpoint, split: split, data: data, samples: samples, options: options)
        }
    }
}
