import ArgumentParser
import RBM
import RBMData
import RBMExperiments
import RBMStore

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
        subcommands: [Train.self, Resume.self, Sweep.self, Evaluate.self, Features.self, Images.self, Inspect.self,
                      Bench.self, Reproduce.self, HDF5Child.self])

    static func main() {
        // HDF5 files from outside are read by a child copy of this executable (IsolatedRead).
        IsolatedRead.childrenRunThisExecutable()
        main(nil)
    }
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

    @Flag(help: "Continue the run from its folder's checkpoint.h5 (bit-identical to not stopping).")
    var resume = false

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
        try runTraining(experiment, resume: resume, quiet: quiet)
    }
}

/// Runs a training loop with signal handling, printing its outcome.
func runTraining(_ experiment: ExperimentConfig, resume: Bool, quiet: Bool) throws {
    Interruption.install()
    let run = TrainingRun(config: experiment, resume: resume, log: { line in if !quiet { print(line) } },
                          progress: ProgressLine(enabled: !quiet && standardErrorIsTerminal))
    do {
        let result = try run.run()
        let last = result.history.last
        print("done in \(formatDuration(result.seconds)): \(result.folder)"
              + (last.map { "  (final recon \(format($0.reconstructionError, 3)), F(train) \(format($0.freeEnergyTrain, 2)))" } ?? ""))
    } catch {
        throw failure(error)
    }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a grid (or random samples) of configs and rank them by a metric.",
        discussion: """
            A sweep file names a base config, a grid over config key paths (or random samples from \
            uniform, log-uniform or choice distributions), the metric to rank by and optional \
            per-run budgets (see experiments/sweep-*.yaml). Runs go one after another, each using \
            all cores, into <output.folder>/<sweep>/<run-id>/; results.csv and report.html are \
            rewritten after every run. A failing run is recorded and the sweep goes on. Running \
            the same sweep again skips finished runs and continues interrupted ones.
            """)

    @Argument(help: "The sweep file, e.g. experiments/sweep-fashion-lr-hidden.yaml.")
    var file: String

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override a base config key for every run (repeatable).", valueName: "key.path=value"))
    var overrides: [String] = []

    @Flag(help: "Only validate the sweep file and list its runs.")
    var dryRun = false

    func run() throws {
        let loaded: (spec: SweepSpec, outputRoot: String)
        do {
            loaded = try SweepLoader.load(path: file, overrides: overrides)
        } catch {
            writeToStandardError("error: \(error)\n")
            throw ExitCode(2)
        }
        if dryRun {
            for point in loaded.spec.points {
                print(point.id + "  " + point.values.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
            return
        }
        Interruption.install()
        let runner = SweepRunner(spec: loaded.spec, outputRoot: loaded.outputRoot)
        do {
            let outcomes = try runner.run()
            print()
            print(runner.table(outcomes))
            print("\nresults: \(runner.folder)/results.csv, report: \(runner.folder)/report.html")
            if outcomes.contains(where: { $0.status == .failed }) {
                print("note: \(outcomes.filter { $0.status == .failed }.count) run(s) failed; see the error column")
            }
        } catch {
            throw failure(error, hint: error is TrainingError ? "run the same command again to continue the sweep" : nil)
        }
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a run from its folder (e.g. runs/default) with the config it was started with.",
        discussion: "The weights after resuming are bit-identical to those of a run that never stopped.")

    @Argument(help: "The run folder holding checkpoint.h5.")
    var folder: String

    @Option(help: "Train until this many epochs in all (default: the run's training.epochs).")
    var epochs: Int?

    @Option(help: "Threads to use (does not change the result).")
    var workers: Int?

    @Flag(help: "Print only the final summary.")
    var quiet = false

    func run() throws {
        let trimmed = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        let checkpointPath = trimmed + "/checkpoint.h5"
        var experiment: ExperimentConfig
        do {
            let checkpoint = try IsolatedRead.checkpoint(path: checkpointPath)
            var overrides: [String] = []
            if let epochs { overrides.append("training.epochs=\(epochs)") }
            if let workers { overrides.append("training.workers=\(workers)") }
            experiment = try ConfigLoader.parse(checkpoint.config, file: checkpointPath + " (config)", overrides: overrides)
        } catch {
            writeToStandardError("error: \(error)\n")
            throw ExitCode(2)
        }
        // The folder may have moved since the run started: it is where the user says.
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        experiment.output.name = String(parts.last ?? "")
        experiment.output.folder = parts.count > 1 ? parts.dropLast().joined(separator: "/") : "."
        if experiment.output.folder.isEmpty { experiment.output.folder = "/" }
        try runTraining(experiment, resume: true, quiet: quiet)
    }
}

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

    @Option(help: "Threads to use.")
    var workers: Int?

    func run() throws {
        do {
            let saved = try IsolatedRead.checkpoint(path: checkpoint)
            let savedConfig = try? ConfigLoader.parse(saved.config, file: checkpoint)
            var folder = data
            var validation = 0
            var threshold = savedConfig?.data.binarization == .threshold
            if !isDirectory(data) {
                let config = try ConfigLoader.load(path: data)
                folder = config.data.path
                validation = config.data.validation
                threshold = config.data.binarization == .threshold
            }
            let imagesPath = try IDXFolder.locate(folder: folder, name: "train-images-idx3-ubyte")
            let total = try IDXRowReader(path: imagesPath).count
            guard validation < total else {
                throw DataError.notEnoughData(detail: "\(folder): a validation split of \(validation) leaves no training data")
            }
            var splits: [any FeatureSplitSource] = [
                try IDXSplitStream(name: "train", folder: folder, prefix: "train", rows: 0..<(total - validation), threshold: threshold),
            ]
            if validation > 0 {
                splits.append(try IDXSplitStream(name: "validation", folder: folder, prefix: "train",
                                                 rows: (total - validation)..<total, threshold: threshold))
            }
            if (try? IDXFolder.locate(folder: folder, name: "t10k-images-idx3-ubyte")) != nil {
                splits.append(try IDXSplitStream(name: "test", folder: folder, prefix: "t10k", rows: nil, threshold: threshold))
            }
            let directory = checkpoint.contains("/") ? String(checkpoint[..<checkpoint.lastIndex(of: "/")!]) : "."
            let output = out ?? directory + "/features.h5"
            let progress = ProgressLine()
            try FeatureExtraction.write(
                model: saved.model, splits: splits, to: output,
                provenance: .init(createdBy: rbmVersion, checkpointPath: checkpoint,
                                  checkpointSHA256: try SHA256.hex(ofFile: checkpoint),
                                  hiddenCount: saved.model.hiddenCount, dataset: folder),
                workers: workers ?? availableCores) { name, done, count in
                    progress.update("\(name): \(done)/\(count) samples")
                }
            progress.clear()
            print("wrote \(output): " + splits.map { "\($0.name) \($0.count)×\(saved.model.hiddenCount)" }.joined(separator: ", "))
        } catch {
            throw failure(error)
        }
    }
}

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

    @Option(help: "AIS runs.") var aisRuns = 100
    @Option(help: "AIS inverse temperatures (the paper's 14,500 by default).") var aisBetas = 14_500
    @Flag(help: "Compute log Z exactly even above 24 units (up to 30; 2^n work).") var exact = false
    @Flag(help: "Force AIS even for small models.") var ais = false
    @Flag(help: "Skip the exact pseudo-likelihood (n_visible × n_hidden work per sample).") var noPseudoLikelihood = false
    @Option(help: "Use only the first N samples of the split.") var samples: Int?
    @Option(help: "Threads to use.") var workers: Int?

    func run() throws {
        do {
            let saved = try IsolatedRead.checkpoint(path: checkpoint)
            let config = try checkpointConfig(saved, path: checkpoint, data: data)
            let splits = try IDXFolder.load(folder: config.data.path, validationCount: config.data.validation)
            let chosen: Dataset?
            switch split {
            case "train": chosen = splits.train
            case "validation": chosen = splits.validation
            case "test": chosen = splits.test
            default:
                writeToStandardError("error: --split must be train, validation or test\n")
                throw ExitCode(2)
            }
            guard var dataset = chosen else {
                writeToStandardError("error: \(config.data.path) has no \(split) split\n")
                throw ExitCode(2)
            }
            if let samples { dataset = dataset.prefix(samples) }
            guard dataset.featureCount == saved.model.visibleCount else {
                writeToStandardError("error: \(dataset.source): samples have \(dataset.featureCount) values but the model has \(saved.model.visibleCount) visible units\n")
                throw ExitCode(1)
            }
            let binarization = config.data.binarization
            let seed = config.training.seed
            let visible = binarization.evaluationValues(of: dataset, seed: seed)
            let marginals = binarization.marginals(of: splits.train)
            var options = EvaluationOptions()
            options.logLikelihood = exact ? .exact : (ais ? .ais : .auto)
            options.aisRuns = aisRuns
            options.aisBetas = aisBetas
            options.pseudoLikelihood = !noPseudoLikelihood
            options.seed = seed
            options.workers = workers ?? availableCores
            print("\(checkpoint): \(saved.model.visibleCount) visible × \(saved.model.hiddenCount) hidden after \(saved.epoch) epoch(s); data \(config.data.path), \(binarization.rawValue) binarization")
            let report = try ModelEvaluation.evaluate(model: saved.model, split: split, visible: visible, rows: dataset.count,
                                                      baseMarginals: marginals, options: options)
            for line in report.lines { print(line) }
        } catch {
            throw failure(error)
        }
    }
}

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train and evaluate the RBMs of Salakhutdinov & Murray (2008) on MNIST; write a Markdown table.",
        discussion: """
            Trains 25- and 500-hidden-unit RBMs with CD-1, CD-3, CD-25 and PCD-1 from \
            experiments/mnist-reproduce.yaml (PCD-1 with 500 units from experiments/mnist-pcd-500.yaml), \
            evaluates each on the test set (exact log Z for 25 units, AIS for 500) and writes the \
            table with the paper's numbers and each row's training time. Rows whose checkpoint is \
            complete are evaluated again without retraining.
            """)

    @Option(help: "The MNIST IDX folder.") var data: String
    @Option(help: "Folder for the runs and the table.") var out = "runs/reproduce"
    @Option(help: "Base config of the CD rows.") var base = "experiments/mnist-reproduce.yaml"
    @Option(help: "Config of the PCD row with 500 hidden units.") var pcd = "experiments/mnist-pcd-500.yaml"
    @Option(help: "Only these rows (e.g. cd1-25,pcd1-500).") var only: String?
    @Option(help: "Threads to use.") var workers: Int?

    func run() throws {
        do {
            Interruption.install()
            let reproduction = Reproduction(
                base: try ConfigLoader.load(path: base), pcd500: try ConfigLoader.load(path: pcd), dataPath: data,
                outputFolder: out, workers: workers ?? availableCores, log: { print($0) })
            try makeWritableFolder(out)
            let tablePath = out + "/results.md"
            let machine = "\(availableCores) cores"
            let names = only.map { Set($0.split(separator: ",").map(String.init)) }
            let results = try reproduction.run(only: names) { results in
                try writeTextAtomically(Reproduction.markdown(results, machine: machine), to: tablePath)
            }
            print()
            print(Reproduction.markdown(results, machine: machine))
            print("written to \(tablePath)")
        } catch {
            throw failure(error)
        }
    }
}

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
    @Option(help: "Threads to use.") var workers: Int?

    func run() throws {
        do {
            let saved = try IsolatedRead.checkpoint(path: checkpoint)
            let config = try checkpointConfig(saved, path: checkpoint, data: data)
            let model = saved.model
            let seed = config.training.seed
            var shape = saved.imageShape.map { (rows: $0[0], columns: $0[1]) }
            var images: [Float]?
            var imageCount = 0
            var dataStart: [Float]?
            do {
                let splits = try IDXFolder.load(folder: config.data.path, validationCount: config.data.validation)
                guard splits.train.featureCount == model.visibleCount else {
                    throw FeatureError.visibleMismatch(source: splits.train.source, dataFeatures: splits.train.featureCount,
                                                       modelVisible: model.visibleCount)
                }
                let shown = (splits.test ?? splits.validation ?? splits.train).prefix(20)
                images = config.data.binarization.evaluationValues(of: shown, seed: seed)
                imageCount = shown.count
                dataStart = config.data.binarization.evaluationValues(of: splits.train.prefix(100), seed: seed)
                shape = splits.train.imageShape ?? shape
            } catch let error as FeatureError {
                throw error
            } catch {
                print("note: no data (\(error)); drawing filters and samples only")
            }
            let chainCount: Int
            let start: [Float]
            if let chains = saved.state.chainVisible {
                chainCount = min(100, chains.count / model.visibleCount)
                start = Array(chains.prefix(chainCount * model.visibleCount))
            } else if let dataStart {
                chainCount = dataStart.count / model.visibleCount
                start = dataStart
            } else {
                // No chains and no data: start from the visible biases' own Bernoulli draws.
                chainCount = 100
                let probabilities = model.visibleProbabilities(hidden: [Float](repeating: 0, count: 100 * model.hiddenCount), rows: 100)
                let stream = RandomStream(seed: seed, purpose: .sampling, step: .max)
                var draws = probabilities
                draws.withUnsafeMutableBufferPointer { buffer in
                    for row in 0..<100 {
                        stream.bernoulli(row: UInt32(row), probabilities: buffer.baseAddress! + row * model.visibleCount,
                                         count: model.visibleCount, into: buffer.baseAddress! + row * model.visibleCount)
                    }
                }
                start = draws
            }
            let directory = checkpoint.contains("/") ? String(checkpoint[..<checkpoint.lastIndex(of: "/")!]) : "."
            let folder = out ?? directory
            try makeWritableFolder(folder)
            var inputs = RunReport.Inputs(model: model, images: images, imageCount: imageCount, chainStart: start,
                                          chainCount: chainCount, shape: shape, seed: seed, workers: workers ?? availableCores)
            inputs.gibbsSteps = steps
            let pictures = try RunReport.writePictures(inputs, to: folder)
            let history = EpochMetrics.metrics(from: saved.history)
            try RunReport.writeReport(folder: folder, title: "RBM \(checkpoint)", configYAML: saved.config,
                                      history: history, pictures: pictures)
            print("wrote \(folder)/: " + (pictures + [RunReport.curvesFile, RunReport.reportFile]).joined(separator: ", "))
        } catch {
            throw failure(error)
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an HDF5 file: format and version, datasets and shapes, config, last metrics.")

    @Argument(help: "A checkpoint, a feature file or any HDF5 file.")
    var file: String

    @Flag(help: "Leave out the stored config.")
    var noConfig = false

    func run() throws {
        do {
            print(try IsolatedRead.description(path: file, showConfig: !noConfig))
        } catch {
            throw failure(error)
        }
    }
}

/// The child process `IsolatedRead` starts to let libhdf5 parse a file from outside.
struct HDF5Child: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: IsolatedRead.childCommand,
        abstract: "Internal: read an HDF5 file for another rbm process.",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough)
    var request: [String] = []

    func run() throws {
        let status = IsolatedRead.childMain(request)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Prints an error the way every subcommand does and returns the exit code to end with:
/// the signal's 128 + n for an interrupted run, 1 otherwise.
func failure(_ error: any Error, hint: String? = nil) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    writeToStandardError("error: \(error)\n" + (hint.map { $0 + "\n" } ?? ""))
    if let training = error as? TrainingError { return ExitCode(training.exitStatus) }
    return ExitCode(1)
}

/// The config stored in a checkpoint, with its data section replaced when `data` names an IDX
/// folder (the path only) or a config (its whole data section).
func checkpointConfig(_ saved: Checkpoint, path: String, data: String?) throws -> ExperimentConfig {
    var config = try ConfigLoader.parse(saved.config, file: path + " (config)")
    if let data {
        if isDirectory(data) { config.data.path = data } else { config.data = try ConfigLoader.load(path: data).data }
    }
    return config
}

func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
}

#if canImport(Glibc)
import Glibc
#endif

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
