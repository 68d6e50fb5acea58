import ArgumentParser
import RBM
import RBMData
import RBMExperiments

@main
struct RBMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rbm",
        abstract: "Train Restricted Boltzmann Machines on the CPU, fast and reproducibly.",
        discussion: """
            Training is data-parallel: each minibatch is cut into shards that run on all cores, \
            and the same seed gives bit-identical weights for any number of workers.

            Start with `rbm train experiments/default.yaml`.
            """,
        subcommands: [Train.self, Bench.self])
}

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

    @Option(help: "Threads to use (overrides training.workers; does not change the result).")
    var workers: Int?

    @Flag(help: "Print only the final summary.")
    var quiet = false

    func run() throws {
        var overrides = self.overrides
        if let workers { overrides.append("training.workers=\(workers)") }
        let experiment: ExperimentConfig
        do {
            experiment = try ConfigLoader.load(path: config, overrides: overrides)
        } catch {
            writeToStandardError("error: \(error)\n")
            throw ExitCode(2)
        }
        Interruption.install()
        let run = TrainingRun(config: experiment, log: { line in if !quiet { print(line) } },
                              progress: ProgressLine(enabled: !quiet && standardErrorIsTerminal))
        do {
            let result = try run.run()
            let last = result.history.last
            print("done in \(formatDuration(result.seconds)): \(result.folder)"
                  + (last.map { "  (final recon \(format($0.reconstructionError, 3)), F(train) \(format($0.freeEnergyTrain, 2)))" } ?? ""))
        } catch {
            writeToStandardError("error: \(error)\n")
            throw ExitCode(error.exitStatus)
        }
    }
}

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
    @Option(help: "Updates timed per measurement.") var updates = 300
    @Option(help: "Worker counts to compare (default: 1 and all cores).") var workers: [Int] = []

    func run() throws {
        let dataset: Dataset
        if let data, fileExists(data) {
            dataset = try IDXFolder.load(folder: data, validationCount: 0).train
            print("data: \(dataset.source) (\(dataset.count) samples)")
        } else {
            if let data { print("note: \(data) not found; using synthetic data") }
            dataset = syntheticDataset(count: 10_000, features: 784)
            print("data: synthetic, 10,000 samples × 784")
        }
        let counts = workers.isEmpty ? Array(Set([1, availableCores])).sorted() : workers
        var bench = Benchmark(data: dataset, hiddenCount: hidden, batchSize: batchSize, shards: shards,
                              updates: updates)
        bench.repetitions = 3
        print("\(dataset.featureCount)→\(hidden), batch \(batchSize) in \(shards) shards, \(updates) updates per measurement, best of \(bench.repetitions)")
        let rows = bench.run(workerCounts: counts) { print($0) }
        print()
        print(Benchmark.table(rows, flopsPerSample: bench.flopsPerSample))
    }

    /// Smooth random images in [0, 1], so binarization and sampling do real work.
    func syntheticDataset(count: Int, features: Int) -> Dataset {
        let stream = RandomStream(seed: 2024, purpose: .evaluation)
        var values = [Float](repeating: 0, count: count * features)
        values.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<count {
                stream.uniforms(row: UInt32(row), count: features, into: buffer.baseAddress! + row * features)
            }
        }
        return Dataset(values: values, count: count, featureCount: features, source: "synthetic")
    }
}
