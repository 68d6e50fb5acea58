import RBMStore
import RBMSystem

/// A checkpoint whose parameters are not all finite numbers: what a diverged run would have
/// saved (training itself never keeps one). Evaluating it would only print `nan`.
public struct NonFiniteCheckpointError: ExitStatusError {
    public var path: String
    public var description: String {
        "\(path): the model's parameters are not all finite numbers (NaN or Inf): the run that wrote it diverged"
    }
    public var hint: String? {
        "train it again with a lower training.learning_rate (e.g. a tenth of it, --set training.learning_rate=…)"
    }
}

extension Checkpoint {
    /// Reads a checkpoint from outside (in a child process) and refuses one whose parameters
    /// are not finite: what `rbm evaluate`, `rbm features` and `rbm images` start from.
    static func readUsable(path: String) throws -> Checkpoint {
        let checkpoint = try IsolatedRead.checkpoint(path: path)
        guard checkpoint.model.isFinite else { throw NonFiniteCheckpointError(path: path) }
        return checkpoint
    }
}
