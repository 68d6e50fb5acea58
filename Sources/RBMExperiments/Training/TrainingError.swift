import RBMData
import RBMStore
import RBMSystem

/// A training run that stopped before its last epoch, or could not start.
public enum TrainingError: ExitStatusError {
    case data(DataError, hint: String?)
    case file(FileError)
    case shapeMismatch(String)
    case store(StoreError)
    case cannotResume(String)
    case diverged(epoch: Int, learningRate: Double)
    case interrupted(signal: Int32, completedEpochs: Int, runFolder: String)
    case features(String)
    case evaluation(String)
    case pictures(String)
    /// Another process holds the run folder.
    case folderInUse(FolderLockError)
    /// The run would need more memory than the machine has available.
    case tooLarge(needed: Double, available: Double, detail: String)
    /// The run folder holds a checkpoint and the run was started afresh, without --force.
    case runExists(folder: String, epochs: Int?)

    public var description: String {
        switch self {
        case let .data(error, hint):
            return "\(error)" + (hint.map { "\n\($0)" } ?? "")
        case let .file(error):
            return "\(error)"
        case let .shapeMismatch(detail), let .cannotResume(detail), let .features(detail), let .evaluation(detail),
             let .pictures(detail):
            return detail
        case let .store(error):
            return "\(error)"
        case let .diverged(epoch, learningRate):
            return "training diverged in epoch \(epoch): the parameters are no longer finite numbers. The last good checkpoint is kept. Try a lower training.learning_rate (now \(learningRate)), e.g. --set training.learning_rate=\(learningRate / 10)"
        case let .folderInUse(error):
            return "\(error)"
        case let .tooLarge(needed, available, detail):
            return "this run needs about \(formatBytes(needed)) of memory (\(detail)) but \(formatBytes(available)) are available; "
                + "nothing was allocated. Use fewer model.hidden units, fewer training.shards or less data (data.train_samples)"
        case let .runExists(folder, epochs):
            return "\(folder) already holds a run" + (epochs.map { " (\($0) epoch(s) in its checkpoint)" } ?? "")
                + "; starting afresh would overwrite it"
        case let .interrupted(signal, epochs, folder):
            let name = signal == 2 ? "Ctrl-C" : "signal \(signal)"
            return "stopped by \(name) after \(epochs) complete epoch(s); the checkpoint in \(folder) holds the state after the last minibatch. Continue with: rbm resume \(folder)"
        }
    }

    public var hint: String? {
        switch self {
        case let .runExists(folder, _):
            return "continue it with --resume (or rbm resume \(folder) --epochs N to train it longer), "
                + "start over with --force, or give the new run another output.name"
        case let .folderInUse(error):
            return error.hint
        default:
            return nil
        }
    }

    /// 128 + the signal for an interrupted run, 1 otherwise.
    public var exitStatus: Int32 {
        if case let .interrupted(signal, _, _) = self { return 128 + signal }
        return 1
    }
}
