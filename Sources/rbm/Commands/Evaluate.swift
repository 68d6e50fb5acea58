import ArgumentParser
import RBMSystem
import RBM
import RBMCluster
import RBMExperiments

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint: reconstruction error, free energy, pseudo-likelihood, log Z and log-likelihood.",
        discussion: """
            log Z is exact (enumerating the smaller layer) when it has at most 24 units, else \
            estimated by Annealed Importance Sampling from a base-rate model with the training \
            data's marginals (Salakhutdinov & Murray 2008), reported with a ±3 standard-error band. \
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
    @Flag(help: "Skip the exact pseudo-likelihood (n_visible × n_hidden work per sample).") var noPseudoLikelihood = false
    @Option(help: "Use only the first N samples of the split.") var samples: Int?
    @Option(help: "Threads to use (default: every core).", transform: WorkersOption.parse) var workers: Int?
    @Flag(help: "Print the report as one JSON object (for programs) instead of lines.") var json = false

    func run() throws {
        // One Ctrl-C or SIGTERM ends the command at once, and the HDF5 reader child with it.
        Interruption.install()
        let options = EvaluationOptions(logLikelihood: exact ? .exact : (ais ? .ais : .auto), aisRuns: aisRuns,
                                        aisBetas: aisBetas, pseudoLikelihood: !noPseudoLikelihood,
                                        workers: DataParallel.workers(workers))
        if json {
            let report = try ModelEvaluation.evaluate(checkpoint: checkpoint, split: split, data: data, samples: samples,
                                                      options: options, log: { _ in })
            if Cluster.world().isRoot { print(report.json) }
        } else {
            try ModelEvaluation.evaluate(checkpoint: checkpoint, split: split, data: data, samples: samples, options: options)
        }
    }
}
