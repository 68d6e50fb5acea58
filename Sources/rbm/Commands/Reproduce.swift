import ArgumentParser
import RBMExperiments

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train and evaluate the RBMs of Salakhutdinov & Murray (2008) on MNIST; write a Markdown table.",
        discussion: """
            Trains 25- and 500-hidden-unit RBMs with CD-1, CD-3, CD-25 and PCD-1 from \
            experiments/mnist-reproduce.yaml (PCD-1 with 500 units from experiments/mnist-pcd-500.yaml, \
            plain and centred: the best of the samplers), \
            evaluates each on the test set (exact log Z for 25 units, AIS for 500) and writes the \
            table with the paper's numbers and each row's training time. Rows whose checkpoint is \
            complete are evaluated again without retraining.
            """)

    @Option(help: "The MNIST IDX folder.") var data: String
    @Option(help: "Folder for the runs and the table.") var out = "runs/reproduce"
    @Option(help: "Base config of the CD rows.") var base = "experiments/mnist-reproduce.yaml"
    @Option(help: "Config of the PCD rows with 500 hidden units.") var pcd = "experiments/mnist-pcd-500.yaml"
    @Option(help: "Only these rows (e.g. cd1-25,pcd1-500,pcd1-500-centred).") var only: String?
    @Option(help: "Threads to use (default: every core).", transform: WorkersOption.parse) var workers: Int?

    func run() throws {
        try Reproduction.reproduce(data: data, out: out, baseConfig: base, pcdConfig: pcd, only: only, workers: workers)
    }
}
