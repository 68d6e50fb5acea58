import RBMCluster
import RBMStore
import RBMSystem

extension TrainingRun {
    /// `rbm train CONFIG`: loads and checks the config (and `--set` overrides), trains with
    /// Ctrl-C handling and prints the outcome.
    public static func train(configPath: String, overrides: [String], workers: Int?, resume: Bool,
                             force: Bool = false, quiet: Bool) throws {
        var config = try ConfigLoader.load(path: configPath, overrides: overrides)
        // --workers changes how fast, never what: a value from the command line, not a key.
        if let workers { config.training.workers = workers }
        var defaults = ExperimentConfig()
        defaults.output.name = ConfigLoader.runName(forConfigPath: configPath)
        if Cluster.world().isRoot, try ConfigLoader.load(path: configPath) == defaults {
            print("note: \(configPath) sets no keys, so the defaults apply" + (overrides.isEmpty ? "" : " (with --set)")
                  + ": data \(config.data.path), \(config.model.hidden) hidden units, "
                  + "\(config.training.sampler.rawValue.uppercased())-\(config.training.gibbsSteps), \(config.training.epochs) epochs "
                  + "(rbm train --help lists every key and its default)")
        }
        try trainAndReport(config, resume: resume, force: force, quiet: quiet)
    }

    /// `rbm resume FOLDER`: continues a run with the config stored in its checkpoint, in the
    /// folder where the user says it is now (it may have moved since).
    public static func resume(folder path: String, epochs: Int?, workers: Int?, quiet: Bool) throws {
        let folder = RunFolder(path: path)
        var config: ExperimentConfig
        do {
            let checkpoint = try Checkpoint.readChecked(path: folder.checkpoint)
            var overrides: [String] = []
            if let epochs { overrides.append("training.epochs=\(epochs)") }
            config = try ConfigLoader.parse(checkpoint.config, file: folder.checkpoint + " (config)", overrides: overrides)
            if let workers { config.training.workers = workers }
        } catch {
            // A folder that cannot be resumed is the invocation's problem: exit status 2.
            throw UsageError("\(error)", hint: (error as? any ExitStatusError)?.hint)
        }
        config.output.folder = folder.parent
        config.output.name = folder.name
        try trainAndReport(config, resume: true, force: false, quiet: quiet)
    }

    /// Trains with signal handling, printing epoch lines (unless `quiet`) and a final summary.
    /// Under `mpirun` the job's ranks share every minibatch; rank 0 alone prints and writes.
    static func trainAndReport(_ config: ExperimentConfig, resume: Bool, force: Bool, quiet: Bool) throws {
        Interruption.install()
        let ranks = Cluster.world()
        let quiet = quiet || !ranks.isRoot
        var run = TrainingRun(config: config, resume: resume, log: { line in if !quiet { print(line) } },
                              progress: ProgressLine(enabled: !quiet && standardErrorIsTerminal))
        run.force = force
        run.ranks = ranks
        let result = try run.run()
        guard ranks.isRoot else { return }
        let last = result.history.last
        print("done in \(formatDuration(result.seconds)): \(result.folder)"
              + (last.map { "  (final recon \(format($0.reconstructionError, 3)), F(train) \(format($0.freeEnergyTrain, 2)))" } ?? ""))
    }
}
