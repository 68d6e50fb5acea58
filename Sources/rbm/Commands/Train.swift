import ArgumentParser
import RBMExperiments

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an RBM from an experiment config (YAML or JSON).",
        discussion: """
            The run folder <output.folder>/<output.name> (default runs/<config file name>) \
            receives the resolved config (config.yaml) and one line of metrics per epoch \
            (metrics.csv). Ctrl-C stops after the current minibatch.

            Config keys (section.key: accepted values (default)):
            \(ConfigLoader.keyReference())
            """)

    @Argument(help: "The experiment config, e.g. experiments/default.yaml.")
    var config: String

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one config key, e.g. --set training.learning_rate=0.05 (repeatable).",
                               valueName: "key.path=value"))
    var overrides: [String] = []

    @Option(help: "Threads to use (overrides training.workers; does not change the result).", transform: WorkersOption.parse)
    var workers: Int?

    @Flag(help: "Continue the run from its folder's checkpoint.h5 (bit-identical to not stopping).")
    var resume = false

    @Flag(help: "Start afresh even when the run folder holds a checkpoint (it is overwritten).")
    var force = false

    @Flag(help: "Print only the final summary.")
    var quiet = false

    func run() throws {
        try TrainingRun.train(configPath: config, overrides: overrides, workers: workers, resume: resume, force: force, quiet: quiet)
    }
}
