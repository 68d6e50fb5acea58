import RBMSystem

/// A problem with an HDF5 file. Every message names the file.
public enum StoreError: ExitStatusError, Equatable, Codable {
    case notHDF5(path: String)
    case cannotOpen(path: String)
    /// A FIFO, a device, a folder: not a file rbm reads.
    case notRegularFile(path: String, detail: String)
    case cannotCreate(path: String, detail: String)
    case missing(path: String, object: String)
    case wrongShape(path: String, object: String, expected: [Int], found: [Int])
    case wrongType(path: String, object: String, expected: String)
    case wrongFormat(path: String, expected: String, found: String)
    case newerVersion(path: String, found: Int, supported: Int)
    case writeFailed(path: String, detail: String)
    case readFailed(path: String, detail: String)
    /// libhdf5 crashed or hung on the file (in the child process of `IsolatedRead`).
    case unreadable(path: String, detail: String)
    /// A checkpoint whose state cannot be trusted (`Checkpoint.problems()`).
    case invalidCheckpoint(path: String, problems: [CheckpointProblem])

    public var description: String {
        switch self {
        case let .notHDF5(path):
            return "\(path): not an HDF5 file"
        case let .cannotOpen(path):
            return "\(path): cannot open (does it exist, and is it readable?)"
        case let .cannotCreate(path, detail):
            return "\(path): cannot create: \(detail)"
        case let .notRegularFile(path, detail):
            return "\(path): \(detail)"
        case let .missing(path, object):
            return "\(path): missing \(object)"
        case let .wrongShape(path, object, expected, found):
            return "\(path): \(object) has shape \(found), expected \(expected)"
        case let .wrongType(path, object, expected):
            return "\(path): \(object) is not \(expected)"
        case let .wrongFormat(path, expected, found):
            return "\(path): is a '\(found)' file, expected '\(expected)'"
        case let .newerVersion(path, found, supported):
            return "\(path): format_version \(found) is newer than this program reads (\(supported)); update rbm"
        case let .writeFailed(path, detail):
            return "\(path): write failed: \(detail)"
        case let .readFailed(path, detail):
            return "\(path): read failed: \(detail)"
        case let .unreadable(path, detail):
            return "\(path): damaged or not an HDF5 file rbm can read: \(detail)"
        case let .invalidCheckpoint(path, problems):
            return "\(path): not a usable checkpoint: "
                + (problems.count == 1 ? problems[0].description : problems.map { "\n  - \($0)" }.joined())
        }
    }

    public var hint: String? {
        guard case let .invalidCheckpoint(_, problems) = self else { return nil }
        if problems.contains(where: \.isDivergedModel) {
            return "the model's parameters are not all finite numbers: the run that wrote it diverged; "
                + "train it again with a lower training.learning_rate (e.g. a tenth of it, --set training.learning_rate=…)"
        }
        return "the file was changed or damaged after rbm wrote it; resume from an earlier copy or train again"
    }
}
