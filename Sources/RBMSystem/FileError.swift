#if canImport(Glibc)
import Glibc
#endif

/// A failed file operation: the path and the system's reason.
public struct FileError: ExitStatusError, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    /// An error for `path` whose reason is the current `errno`, after `context` if given.
    public static func fromErrno(path: String, _ context: String? = nil) -> FileError {
        let reason = String(cString: strerror(errno))
        return FileError(path: path, reason: context.map { "\($0): \(reason)" } ?? reason)
    }
}
