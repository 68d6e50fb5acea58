#if canImport(Glibc)
import Glibc
#endif

/// True when standard error is a terminal (a progress line can redraw itself there).
public var standardErrorIsTerminal: Bool { isatty(2) == 1 }

/// Writes to standard error at once, without buffering.
public func writeToStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}
