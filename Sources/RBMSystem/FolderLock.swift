#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on a folder: the file `.rbm.lock` in it, held with `flock` for as long
/// as this value lives. A second holder — another process, or another open in this one —
/// is refused at once, told which process holds the folder. The kernel releases the lock when
/// the holder exits, however it exits (kill -9 included), so a stale lock file never blocks
/// the next run; the pid written in it is only for the message.
public final class FolderLock: @unchecked Sendable {
    /// The lock file's name inside the folder.
    public static let fileName = ".rbm.lock"

    public let folder: String
    private let descriptor: Int32

    /// Takes the lock of `folder` (which must exist), or throws `FolderLockError.held`.
    /// `purpose` is written beside the pid, for the message another process shows.
    public init(folder: String, purpose: String) throws(FolderLockError) {
        self.folder = folder
        let path = folder + "/" + Self.fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotLock(folder: folder, reason: String(cString: strerror(errno)))
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let reason = errno
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK { throw .held(folder: folder, holder: holder) }
            throw .cannotLock(folder: folder, reason: String(cString: strerror(reason)))
        }
        self.descriptor = descriptor
        let record = Array("pid \(getpid()): \(purpose)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        // Closing the descriptor releases the lock; the file stays (removing it would race
        // with a process that has just opened it).
        close(descriptor)
    }

    /// What the holder wrote: "pid N: purpose", or "" when unreadable.
    static func readHolder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return "" }
        return String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }
}

/// A folder that another run holds, or whose lock could not be taken.
public enum FolderLockError: ExitStatusError, Equatable {
    case held(folder: String, holder: String)
    case cannotLock(folder: String, reason: String)

    public var description: String {
        switch self {
        case let .held(folder, holder):
            return "\(folder) is in use by another rbm process" + (holder.isEmpty ? "" : " (\(holder))")
                + "; two runs writing one folder would mix their metrics and checkpoints"
        case let .cannotLock(folder, reason):
            return "\(folder): cannot take the folder's lock: \(reason)"
        }
    }

    public var hint: String? {
        if case .held = self { return "wait for it to finish, stop it, or choose another output.name" }
        return nil
    }
}
