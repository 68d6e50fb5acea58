import ArgumentParser
import RBMSystem
import RBMExperiments

struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a checkpoint's filters, reconstructions and samples (PNG), its learning curves (SVG) and report.html.",
        discussion: """
            The image shape comes from the data (28×28 for MNIST-like IDX files); without data, \
            from the checkpoint, else a square-ish tiling. Reconstructions need the data; samples \
            start from the PCD chains when the checkpoint has them.
            """)

    @Argument(help: "A checkpoint.h5 written by rbm train.") var checkpoint: String
    @Option(help: "An experiment config or IDX folder (default: the checkpoint's own config).") var data: String?
    @Option(help: "Folder to write to (default: the checkpoint's folder).") var out: String?
    @Option(help: "Gibbs steps before the samples are drawn.") var steps = 1000
    @Option(help: "Threads to use (default: every core).", transform: WorkersOption.parse) var workers: Int?

    func run() throws {
        // One Ctrl-C or SIGTERM ends the command at once, and the HDF5 reader child with it.
        Interruption.install()
        try RunReport.draw(checkpoint: checkpoint, data: data, out: out, gibbsSteps: steps, workers: workers)
    }
}
