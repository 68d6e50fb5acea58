#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole text file (UTF-8; invalid bytes become U+FFFD).
public func readText(path: String) throws(FileError) -> String {
    String(decoding: try readBytes(path: path), as: UTF8.self)
}

/// Reads a whole file. Only a regular file is read (`openRegularFile`): a FIFO would block and
/// a device like /dev/zero would never end.
public func readBytes(path: String) throws(FileError) -> [UInt8] {
    let descriptor = try openRegularFile(path)
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { throw FileError.fromErrno(path: path, "read error") }
        if count == 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return bytes
}

/// Writes `text` to `path` atomically (`AtomicFile`): the file is the old one or the new one.
public func writeTextAtomically(_ text: String, to path: String) throws(FileError) {
    try AtomicFile.write(Array(text.utf8), to: path)
}

/// Appends a line to a file (creating it), flushed so that a crash keeps what was written.
///
/// The file is opened with `O_NOFOLLOW`: a symbolic link planted at `path` is refused, never
/// written through (a run folder's files are written only by this function and `AtomicFile`).
public func appendLine(_ line: String, to path: String) throws(FileError) {
    let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o644)
    guard descriptor >= 0 else {
        if errno == ELOOP { throw FileError(path: path, reason: "is a symbolic link; rbm does not write through links") }
        throw FileError.fromErrno(path: path, "cannot open to append")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
        throw FileError(path: path, reason: "is not a regular file (\(fileKind(status.st_mode))); rbm appends only to regular files")
    }
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { throw FileError.fromErrno(path: path, "write failed") }
        offset += written
    }
}

/// Opens `path` for reading if it is a regular file (after following links), else throws an
/// error naming what it is. The open does not block (`O_NONBLOCK`, cleared once the file is
/// known to be regular): a FIFO named as a data file would otherwise wait for a writer forever,
/// and a device such as /dev/zero would be read without end.
public func openRegularFile(_ path: String) throws(FileError) -> Int32 {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError.fromErrno(path: path) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        let error = FileError.fromErrno(path: path)
        close(descriptor)
        throw error
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
        close(descriptor)
        throw FileError(path: path, reason: "is not a regular file but \(fileKind(status.st_mode)); rbm reads data, configs and checkpoints only from regular files")
    }
    let flags = fcntl(descriptor, F_GETFL)
    if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
    return descriptor
}

/// Throws unless `path` is a regular file (after following links): for readers that open the
/// file themselves (zlib, libhdf5, a child process). See `openRegularFile`.
public func checkRegularFile(_ path: String) throws(FileError) {
    close(try openRegularFile(path))
}

/// "a FIFO", "a character device", … for a `stat` mode.
func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "a regular file"
    case S_IFDIR: return "a folder"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "a special file"
    }
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

/// Creates a new private folder (mode 0700, an unpredictable name `<prefix>-XXXXXX`) under
/// $TMPDIR, or /tmp. The caller removes it.
public func makePrivateTemporaryFolder(prefix: String) throws(FileError) -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) != nil }) else {
        throw FileError.fromErrno(path: base, "cannot create a temporary folder")
    }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// True when `path` itself is a regular file (not a link, whatever it points to).
public func isRegularFile(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
}

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

