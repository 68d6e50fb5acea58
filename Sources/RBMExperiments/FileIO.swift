import RBMStore
#if canImport(Glibc)
import Glibc
#endif

/// A failed file operation, with the system's reason.
public struct FileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Reads a whole text file.
public func readText(path: String) throws(FileError) -> String {
    guard let file = fopen(path, "rb") else {
        throw FileError(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65_536, file) }
        if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
        if count < 65_536 {
            if ferror(file) != 0 { throw FileError(path: path, reason: "read error") }
            break
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so the
/// file is either the old one or the new one, never half written. Temporary files that killed
/// processes left beside `path` are removed first.
public func writeTextAtomically(_ text: String, to path: String) throws(FileError) {
    AtomicFile.removeStaleTemporaries(of: path)
    let temporary = AtomicFile.temporaryPath(for: path, pid: getpid())
    guard let file = fopen(temporary, "wb") else {
        throw FileError(path: temporary, reason: String(cString: strerror(errno)))
    }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, file) }
    let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
    let reason = String(cString: strerror(errno))
    fclose(file)
    guard written == bytes.count, flushed else {
        unlink(temporary)
        throw FileError(path: path, reason: "write failed: \(reason)")
    }
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw FileError(path: path, reason: "rename failed: \(reason)")
    }
}

/// Appends a line to a file (creating it), flushing so a crash keeps what was written.
public func appendLine(_ line: String, to path: String) throws(FileError) {
    guard let file = fopen(path, "ab") else {
        throw FileError(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(file) }
    let bytes = Array((line + "\n").utf8)
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, file) }
    guard written == bytes.count, fflush(file) == 0 else {
        throw FileError(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
    }
}

/// Creates a folder and its parents (like `mkdir -p`), then checks it is writable.
public func makeWritableFolder(_ path: String) throws(FileError) {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw FileError(path: current, reason: "cannot create folder: \(String(cString: strerror(errno)))")
        }
    }
    var status = stat()
    guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
        throw FileError(path: path, reason: "exists and is not a folder")
    }
    guard access(path, W_OK) == 0 else {
        throw FileError(path: path, reason: "folder is not writable")
    }
}

/// True when a file or folder exists at `path`.
public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// True when standard error is a terminal (a progress line can redraw itself).
public var standardErrorIsTerminal: Bool { isatty(2) == 1 }

/// Writes to standard error without buffering.
public func writeToStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        offset += written
    }
}

extension Error {
    var reason: String { (self as? FileError)?.reason ?? "\(self)" }
}
