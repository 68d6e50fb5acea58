import ArgumentParser
import RBM
import RBMExperiments

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure update speed (samples/s) against the BLAS bound, 1 worker vs all cores.",
        discussion: """
            Times CD-1 and PCD-1 updates (784→500 by default, batch 100) and, in the same run, \
            the same GEMM calls alone. Uses an MNIST IDX folder when given, else synthetic data.
            """)

    @Option(help: "An IDX folder (MNIST layout); synthetic data when absent or missing.")
    var data: String?

    @Option(help: "Hidden units.") var hidden = 500
    @Option(help: "Rows per minibatch.") var batchSize = 100
    @Option(help: "Shards per minibatch.") var shards = 2
    @Option(help: "Blocks of hidden units per shard (training.hidden_blocks); default: the --shards split, then 1 shard × one block per core.")
    var hiddenBlocks: Int?
    @Option(help: "Blocks of visible units of one shard instead (training.visible_blocks); by default also measured at batches up to 32 as one block per core.")
    var visibleBlocks: Int?
    @Option(help: "Updates timed per measurement.") var updates = 300
    @Option(help: "Worker counts to compare (default: 1 and all cores).", transform: WorkersOption.parse) var workers: [Int] = []
    @Flag(help: "Instead: CD-1 fed from memory, HDF5, mapped .npy and streamed .npy (samples/s and ratios).")
    var formats = false
    @Flag(help: "Instead: CD-1 for 784→500, 784→2000 and 4096→4096 at batch 100 and 1000, against the SGEMM rate.")
    var sizes = false

    @Flag(help: "Instead: AIS and reverse AIS (100 runs, --ais-betas β) per kind of visible unit at 784 → --hidden, on all cores.")
    var ais = false
    @Option(help: "Inverse temperatures per run for --ais.") var aisBetas = 2_000

    @Flag(help: "Instead: CD-1, PCD-1 and parallel tempering (--temperatures) for Bernoulli, Gaussian and categorical (4 states) units on 784 columns, on all cores.")
    var units = false
    @Option(help: "Temperature counts M measured by --units, comma-separated, each 2 or more.", transform: Bench.parseTemperatures)
    var temperatures: [Int] = [5, 10]

    @Flag(help: "Centred CD-1 and PCD-1 updates (model.centering) in the default measurement.")
    var centering = false

    @Flag(help: "Instead: CD-1 (784→500 batch 100, 784→4096 batch 1000) on this job's MPI ranks × --workers (run under mpirun).")
    var ranks = false

    /// The options as the layout they measure, checked by the rule book training uses
    /// (`TrainerConfiguration.problems`), each problem named by its option.
    func validate() throws {
        var layout = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: 1, sampler: .contrastiveDivergence,
                                          gibbsSteps: 1, weightDecay: 0, seed: 1)
        layout.hiddenBlocks = hiddenBlocks ?? 1
        layout.visibleBlocks = visibleBlocks ?? 1
        let options = ["training.batch_size": "--batch-size", "training.shards": "--shards", "model.hidden": "--hidden",
                       "training.hidden_blocks": "--hidden-blocks", "training.visible_blocks": "--visible-blocks"]
        if let problem = layout.problems(visibleCount: 784, hiddenCount: hidden).first {
            let option = options[problem.keys[0]] ?? problem.keys[0]
            throw ValidationError("\(option): \(problem.reason) (rbm bench's options: " + problem.keys.compactMap { options[$0] }.joined(separator: ", ") + ")")
        }
    }

    static func parseTemperatures(_ argument: String) throws -> [Int] {
        let counts = argument.split(separator: ",").map { Int(String($0.filter { $0 != " " })) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 2 }) else {
            throw ValidationError("--temperatures takes counts of 2 or more separated by commas, like 5,10 (got '\(argument)')")
        }
        return counts.map { $0! }
    }

    func run() throws {
        if ranks {
            return Benchmark.measureRanks(workers: workers.first ?? availableCores)
        }
        if ais {
            return Benchmark.measureAnnealing(hiddenCount: hidden, betaCount: aisBetas, runs: 100,
                                              workers: workers.max() ?? availableCores)
        }
        try Benchmark.measure(data: data, hiddenCount: hidden, batchSize: batchSize, shards: shards, hiddenBlocks: hiddenBlocks,
                              visibleBlocks: visibleBlocks, updates: updates,
                              workerCounts: workers, formats: formats, sizes: sizes,
                              temperatureCounts: units ? temperatures : nil, centering: centering)
    }
}
