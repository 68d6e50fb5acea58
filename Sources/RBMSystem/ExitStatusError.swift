/// An error that knows the exit status the process ends with when it reaches the command line.
/// The `rbm` tool prints `error: <description>` (and the hint, if any) to standard error once,
/// in one place, and exits with `exitStatus`.
public protocol ExitStatusError: Error, CustomStringConvertible {
    /// 1 for a failed operation, 2 for a bad invocation or config, 128 + n for signal n.
    var exitStatus: Int32 { get }
    /// What the user can do next, printed on its own line after the error; nil for none.
    var hint: String? { get }
}

extension ExitStatusError {
    public var exitStatus: Int32 { 1 }
    public var hint: String? { nil }
}

/// A command used in a way that cannot work (a bad option value, a split that does not exist,
/// a run folder that cannot be resumed): exit status 2, like a config error.
public struct UsageError: ExitStatusError {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { message }
    public var exitStatus: Int32 { 2 }
}
