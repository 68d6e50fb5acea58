import Dispatch

/// Seconds since an arbitrary start, monotonic.
public func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// "1:02:03" or "2:03" for a duration in seconds.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "–" }
    let total = Int(seconds.rounded())
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
    let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
    return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
}

/// "41,234" for an integer count.
public func groupedThousands(_ value: Double) -> String {
    guard value.isFinite else { return "–" }
    let digits = String(Int(value.rounded()))
    var result = ""
    for (index, character) in digits.reversed().enumerated() {
        if index > 0, index % 3 == 0, character != "-" { result.append(",") }
        result.append(character)
    }
    return String(result.reversed())
}

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
