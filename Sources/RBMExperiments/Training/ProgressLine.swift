import RBMSystem

/// A one-line progress display redrawn in place on a terminal, at most ten times a second.
/// When standard error is not a terminal it prints nothing (logs keep the epoch lines).
public final class ProgressLine {
    private var lastDraw = 0.0
    private var visible = false
    private let enabled: Bool

    public init(enabled: Bool = standardErrorIsTerminal) {
        self.enabled = enabled
    }

    public func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard force || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        writeToStandardError("\r\u{1B}[2K" + text())
        visible = true
    }

    /// Erases the line so that ordinary output can follow.
    public func clear() {
        guard enabled, visible else { return }
        writeToStandardError("\r\u{1B}[2K")
        visible = false
    }
}
