#if canImport(Glibc)
import Glibc
#endif

/// Write-to-temporary-then-rename: a reader of `path`, or a crash at any moment, sees either
/// the old file or the complete new one, never half of one.
///
/// The one implementation every file of the project goes through (checkpoints, feature files,
/// configs, metrics, reports, pictures):
/// 1. `createTemporary` makes `.<name>.tmp-<pid>-<random>` beside `path` with
///    `O_CREAT | O_EXCL | O_NOFOLLOW`: a name nobody can predict, never an existing file and
///    never through a symbolic link planted there.
/// 2. The caller writes it (by path, e.g. libhdf5, or through `write(_:to:)`).
/// 3. `commit` flushes the file to disk, renames it over `path` and flushes the folder, so the
///    rename itself survives a power cut.
///
/// Temporaries left by killed processes (the pid in the name no longer runs) are removed the
/// next time the same file is written.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, after checking that the folder has room for them.
    /// A full disk is an error naming the path and the reason; `path` keeps its old contents.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileError) {
        try checkFreeSpace(for: path, bytes: bytes.count)
        let (temporary, descriptor) = try openTemporary(for: path)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let error = FileError.fromErrno(path: path, "write failed")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            let error = FileError.fromErrno(path: path, "write failed")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard close(descriptor) == 0 else {
            let error = FileError.fromErrno(path: path, "write failed")
            unlink(temporary)
            throw error
        }
        try rename(temporary, to: path)
    }

    /// Creates an empty temporary file beside `path` for the caller to write by name; finish
    /// with `commit(temporary:to:)` or `discard(temporary:)`.
    public static func createTemporary(for path: String) throws(FileError) -> String {
        let (temporary, descriptor) = try openTemporary(for: path)
        close(descriptor)
        return temporary
    }

    /// Flushes `temporary` to disk and renames it to `path`; on failure it is removed and
    /// whatever was at `path` is untouched.
    public static func commit(temporary: String, to path: String) throws(FileError) {
        let descriptor = open(temporary, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = FileError.fromErrno(path: path, "cannot reopen \(temporary) to flush it")
            unlink(temporary)
            throw error
        }
        let synced = fsync(descriptor) == 0
        let error = synced ? nil : FileError.fromErrno(path: path, "write failed")
        close(descriptor)
        if let error {
            unlink(temporary)
            throw error
        }
        try rename(temporary, to: path)
    }

    /// Removes a temporary file that will not be committed.
    public static func discard(temporary: String) {
        unlink(temporary)
    }

    /// Throws when the file system holding `path` has less room than `bytes` (plus 64 KiB for
    /// the file system's own blocks) for an unprivileged writer.
    public static func checkFreeSpace(for path: String, bytes: Int) throws(FileError) {
        var status = statvfs()
        let folder = split(path).folder
        guard statvfs(folder.isEmpty ? "." : folder, &status) == 0 else { return }
        let available = Double(status.f_bavail) * Double(status.f_frsize)
        let needed = Double(bytes) + 65_536
        guard available >= needed else {
            throw FileError(path: path, reason: noSpaceReason(needed: needed, available: available))
        }
    }

    /// "no space left on device: writing it needs 2.1 MB, 1.9 MB free"; in bytes when the
    /// rounded figures would read the same ("needs 2.0 MB, 2.0 MB free" says nothing).
    static func noSpaceReason(needed: Double, available: Double) -> String {
        var (neededText, availableText) = (formatBytes(needed), formatBytes(available))
        if neededText == availableText {
            (neededText, availableText) = (groupedThousands(needed) + " bytes", groupedThousands(available) + " bytes")
        }
        return "no space left on device: writing it needs \(neededText), \(availableText) free"
    }

    /// `.<name>.tmp-<pid>` beside `path`: the prefix of this process's temporaries (and, with
    /// another pid, of a killed process's).
    public static func temporaryPath(for path: String, pid: Int32) -> String {
        let (folder, name) = split(path)
        return (folder.isEmpty ? "" : folder + "/") + ".\(name).tmp-\(pid)"
    }

    /// Removes `.<name>.tmp-<pid>[-<random>]` files beside `path` whose process no longer runs.
    public static func removeStaleTemporaries(of path: String) {
        let (folder, name) = split(path)
        let prefix = ".\(name).tmp-"
        guard let directory = opendir(folder.isEmpty ? "." : folder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            // The name is read where it lies, up to its NUL: copying d_name out (a 256-byte
            // array) would read past the end of a short record (AddressSanitizer, fuzz-checkpoint).
            let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
            let entryName = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard entryName.hasPrefix(prefix),
                  let pid = Int32(entryName.dropFirst(prefix.count).prefix { $0 != "-" }) else { continue }
            // ESRCH: no such process (EPERM means it runs, as another user).
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                unlink((folder.isEmpty ? "" : folder + "/") + entryName)
            }
        }
    }

    // MARK: Helpers

    /// Creates the temporary with O_EXCL | O_NOFOLLOW, trying fresh random names on collision.
    private static func openTemporary(for path: String) throws(FileError) -> (String, Int32) {
        removeStaleTemporaries(of: path)
        let prefix = temporaryPath(for: path, pid: getpid())
        for _ in 0..<100 {
            let candidate = prefix + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (candidate, descriptor) }
            if errno != EEXIST { throw FileError.fromErrno(path: candidate, "cannot create a temporary file") }
        }
        throw FileError(path: prefix, reason: "cannot create a temporary file: every name tried exists")
    }

    private static func rename(_ temporary: String, to path: String) throws(FileError) {
        guard Glibc.rename(temporary, path) == 0 else {
            let error = FileError.fromErrno(path: path, "rename from \(temporary) failed")
            unlink(temporary)
            throw error
        }
        let (folder, _) = split(path)
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// The folder part ("" for a bare name) and the file name of a path.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}
