import ArgumentParser
import RBMExperiments

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a run from its folder (e.g. runs/default) with the config it was started with.",
        discussion: "The weights after resuming are bit-identical to those of a run that never stopped.")

    @Argument(help: "The run folder holding checkpoint.h5.")
    var folder: String

    @Option(help: "Train until this many epochs in all (default: the run's training.epochs).")
    var epochs: Int?

    @Option(help: "Threads to use (does not change the result).", transform: WorkersOption.parse)
    var workers: Int?

    @Flag(help: "Print only the final summary.")
    var quiet = false

    func run() throws {
        try TrainingRun.resume(folder: folder, epochs: epochs, workers: workers, quiet: quiet)
    }
}
