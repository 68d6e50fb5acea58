import ArgumentParser
import RBMSystem
import RBMExperiments

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write hidden features P(h=1|v) of a data set to an HDF5 file.",
        discussion: """
            Reads the data as a stream (memory stays bounded) and writes, for each split, \
            /<split>/features [n_samples, n_hidden] float32 (chunked, gzip+shuffle) and \
            /<split>/labels, with the checkpoint's path and SHA-256 as provenance. With a \
            config, the splits are train, validation and test as the config defines them; with \
            an IDX folder, train (the whole training file) and test.
            """)

    @Argument(help: "A checkpoint.h5 written by rbm train.")
    var checkpoint: String

    @Option(help: "An experiment config (YAML) or an IDX folder (MNIST layout).")
    var data: String

    @Option(help: "The feature file to write (default: features.h5 beside the checkpoint).")
    var out: String?

    @Option(help: "Threads to use (default: every core).", transform: WorkersOption.parse)
    var workers: Int?

    func run() throws {
        // One Ctrl-C or SIGTERM ends the command at once, and the HDF5 reader child with it.
        Interruption.install()
        try FeatureExtraction.extract(checkpoint: checkpoint, data: data, out: out, workers: workers)
    }
}
