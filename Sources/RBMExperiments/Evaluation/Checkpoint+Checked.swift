import RBM
import RBMStore
import RBMSystem

extension Checkpoint {
    /// Reads a checkpoint from outside (in a child process, `IsolatedRead`) and checks its
    /// whole state before anything uses it: on its own (`problems()`, in the child) and against
    /// the config stored in it (`problemsAgainstStoredConfig()`). What `rbm resume`,
    /// `evaluate`, `features`, `images` and `inspect` start from; a checkpoint with a problem is
    /// refused with `StoreError.invalidCheckpoint`, naming every dataset or attribute at fault.
    public static func readChecked(path: String) throws(StoreError) -> Checkpoint {
        let checkpoint = try IsolatedRead.checkpoint(path: path)
        let problems = checkpoint.problemsAgainstStoredConfig(path: path)
        guard problems.isEmpty else { throw .invalidCheckpoint(path: path, problems: problems) }
        return checkpoint
    }

    /// The state against the config it says it was trained with: the layer sizes, unit type,
    /// sampler, chains per minibatch, temperatures, centering, standardisation and seed.
    public func problemsAgainstStoredConfig(path: String) -> [CheckpointProblem] {
        let trained: ExperimentConfig
        do { trained = try ConfigLoader.parse(config, file: path + " (config attribute)") } catch {
            return [CheckpointProblem("attribute config", "is not a valid config: \(error)")]
        }
        var problems: [CheckpointProblem] = []
        let model = state.model
        func disagree(_ object: String, _ holds: String, _ key: String, _ says: String) {
            problems.append(CheckpointProblem(object, "\(holds), but the stored config says \(key): \(says)"))
        }
        if trained.model.hidden != model.hiddenCount {
            disagree("/model/weights", "has \(model.hiddenCount) hidden units", "model.hidden", "\(trained.model.hidden)")
        }
        if trained.model.visible != model.visibleUnits.kind {
            disagree("attribute visible_units", "is \(model.visibleUnits.name)", "model.visible", trained.model.visible.rawValue)
        } else if let (parameter, value) = model.visibleUnits.parameter,
                  let stated = trained.data.unitParameters[parameter.configKey], stated > 0, stated != value {
            disagree("attribute \(parameter.checkpointAttribute)", "is \(value)", "data.\(parameter.configKey)", "\(stated)")
        }
        if trained.training.sampler != sampler {
            disagree("attribute sampler", "is \(sampler.rawValue)", "training.sampler", trained.training.sampler.rawValue)
        }
        if let chains = state.chainVisible, model.visibleCount > 0 {
            let rows = chains.count / model.visibleCount
            let perRow = sampler == .parallelTempering ? trained.training.temperatures : 1
            if rows != trained.training.batchSize * perRow {
                disagree("/sampler/persistent_chains", "holds \(rows) chains",
                         "training.batch_size", "\(trained.training.batchSize)" + (perRow > 1 ? " × \(perRow) temperatures" : ""))
            }
        }
        if sampler == .parallelTempering, let betas = inverseTemperatures, betas != trained.inverseTemperatures {
            disagree("/sampler/inverse_temperatures", "is \(betas)", "training.temperatures (with its spacing)", "\(trained.inverseTemperatures)")
        }
        if trained.model.centering != (state.visibleOffsets != nil) {
            disagree("/centering", state.visibleOffsets != nil ? "holds offsets" : "is missing", "model.centering", "\(trained.model.centering)")
        }
        if trained.model.learnVariance != (model.visibleLogVariance != nil) {
            disagree("/model/visible_log_variance", model.visibleLogVariance != nil ? "holds learned variances" : "is missing",
                     "model.learn_variance", "\(trained.model.learnVariance)")
        }
        if trained.standardizes != (standardization != nil) {
            disagree("/data/mean, /data/std", standardization != nil ? "hold a standardisation" : "are missing",
                     "data.standardize", "\(trained.data.standardize.rawValue) with \(trained.model.visible.rawValue) units")
        }
        if trained.training.seed != seed {
            disagree("attribute seed", "is \(seed)", "training.seed", "\(trained.training.seed)")
        }
        return problems
    }
}

/// `rbm inspect` on a checkpoint that is not usable: its problems were printed with the
/// description; the command exits with status 1.
public struct UnusableCheckpointError: ExitStatusError {
    public var path: String
    public var problemCount: Int
    public var description: String {
        "\(path): not a usable checkpoint (\(problemCount) problem(s), listed above); resume, evaluate, features and images refuse it"
    }
}

extension Inspection {
    /// `rbm inspect FILE`: the description of any HDF5 file (read in a child process) and,
    /// for a checkpoint, its whole state checked on its own and against its stored config.
    /// Returns the text to print; throws `UnusableCheckpointError` after it when the
    /// checkpoint has problems.
    public static func inspect(path: String, showConfig: Bool, print: (String) -> Void) throws {
        let report = try IsolatedRead.description(path: path, showConfig: showConfig)
        print(report.text)
        guard report.isCheckpoint else { return }
        var problems = report.problems
        if problems.isEmpty, let checkpoint = try? IsolatedRead.checkpoint(path: path) {
            problems = checkpoint.problemsAgainstStoredConfig(path: path)
            if !problems.isEmpty {
                print("  NOT USABLE: \(problems.count) problem(s):\n" + problems.map { "    - \($0)" }.joined(separator: "\n"))
            }
        }
        guard problems.isEmpty else { throw UnusableCheckpointError(path: path, problemCount: problems.count) }
    }
}
