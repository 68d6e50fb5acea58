import RBMStore
import RBMSystem

extension TrainingRun {
    /// `rbm train CONFIG`: loads and checks the config (and `--set` overrides), trains with
    /// Ctrl-C handling and prints the outcome.
    public static func train(configPath: String, overrides: [String], workers: Int?, resume: Bool,
                             quiet: Bool) throws {
        var overrides = overrides
        if let workers { overrides.append("training.workers=\(workers)") }
        let config = try ConfigLoader.load(path: configPath, overrides: overrides)
        try trainAndReport(config, resume: resume, quiet: quiet)
    }

    /// `rbm resume FOLDER`: continues a run with the config stored in its checkpoint, in the
    /// folder where the user says it is now (it may have moved since).
    public static func resume(folder path: String, epochs: Int?, workers: Int?, quiet: Bool) throws {
        let folder = RunFolder(path: path)
        var config: ExperimentConfig
        do {
            let checkpoint = try IsolatedRead.checkpoint(path: folder.checkpoint)
            var overrides: [String] = []
            if let epochs { overrides.append("training.epochs=\(epochs)") }
            if let workers { overrides.append("training.workers=\(workers)") }
            config = try ConfigLoader.parse(checkpoint.config, file: folder.checkpoint + " (config)", overrides: overrides)
        } catch {
            // A folder that cannot be resumed is the invocation's problem: exit status 2.
            throw UsageError("\(error)")
        }
        config.output.folder = folder.parent
        config.output.name = folder.name
        try trainAndReport(config, resume: true, quiet: quiet)
    }

    /// Trains with signal handling, printing epoch lines (unless `quiet`) and a final summary.
    static func trainAndReport(_ config: ExperimentConfig, resume: Bool, quiet: Bool) throws {
        Interruption.install()
        let run = TrainingRun(config: config, resume: resume, log: { line in if !quiet { print(line) } },
                              progress: ProgressLine(enabled: !quiet && standardErrorIsTerminal))
        let result = try run.run()
        let last = result.history.last
        print("done in \(formatDuration(result.seconds)): \(result.folder)"
              + (last.map { "  (final recon \(format($0.reconstructionError, 3)), F(train) \(format($0.freeEnergyTrain, 2)))" } ?? ""))
    }
}
