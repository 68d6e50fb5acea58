#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole text file (UTF-8; invalid bytes become U+FFFD).
public func readText(path: String) throws(FileError) -> String {
    String(decoding: try readBytes(path: path), as: UTF8.self)
}

/// Reads a whole file.
public func readBytes(path: String) throws(FileError) -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw FileError.fromErrno(path: path) }
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
    return bytes
}

/// Writes `text` to `path` atomically (`AtomicFile`): the file is the old one or the new one.
public func writeTextAtomically(_ text: String, to path: String) throws(FileError) {
    try AtomicFile.write(Array(text.utf8), to: path)
}

/// Appends a line to a file (creating it), flushed so that a crash keeps what was written.
public func appendLine(_ line: String, to path: String) throws(FileError) {
    guard let file = fopen(path, "ab") else { throw FileError.fromErrno(path: path) }
    defer { fclose(file) }
    let bytes = Array((line + "\n").utf8)
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, file) }
    guard written == bytes.count, fflush(file) == 0 else { throw FileError.fromErrno(path: path, "write failed") }
}

/// Creates a folder and its parents (like `mkdir -p`), then checks it is writable.
public func makeWritableFolder(_ path: String) throws(FileError) {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw FileError.fromErrno(path: current, "cannot create folder")
        }
    }
    guard isDirectory(path) else { throw FileError(path: path, reason: "exists and is not a folder") }
    guard access(path, W_OK) == 0 else { throw FileError(path: path, reason: "folder is not writable") }
}

/// True when a file or folder exists at `path`.
public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// True when `path` is a folder (or a link to one).
public func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
}

/// The folder holding `path` ("." for a bare file name).
public func parentFolder(of path: String) -> String {
    let folder = AtomicFile.split(path).folder
    return folder.isEmpty ? "." : folder
}

