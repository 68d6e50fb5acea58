import Foundation
import RBMSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reading HDF5 files this process did not write, in a child process.
///
/// libhdf5 1.10 trusts the structures it reads: fuzzing found corrupt files on which it reads
/// out of bounds, uses freed memory, recurses until the stack overflows or loops forever
/// (`Fuzz/known-libhdf5`). No check made before calling it can rule that out, so a file from
/// outside (a checkpoint to resume or evaluate, anything `rbm inspect` is pointed at) is
/// opened by a child process — the `rbm` executable itself, run as `rbm hdf5-child`:
///
/// - a checkpoint is read and checked there, then written again with `Checkpoint.write` to a
///   private temporary folder, and this process reads that copy: libhdf5 here only ever
///   parses a file that libhdf5 wrote from checked values;
/// - `rbm inspect`'s description is made there and sent back as text.
///
/// The child runs under a time limit (`RBM_HDF5_READ_TIMEOUT` seconds, default 60), an
/// address-space limit and no core dumps. If it dies from a signal, runs out of time or exits
/// without a reply, the file is reported as damaged (`StoreError.unreadable`) and this
/// process carries on. Errors the child detects itself (a missing dataset, a wrong shape)
/// come back unchanged.
///
/// Where no `rbm` executable can be found (a program that links RBMStore on its own), the
/// read happens in this process, as `Checkpoint.read` does.
public enum IsolatedRead {
    /// The subcommand of `rbm` that runs `childMain`.
    public static let childCommand = "hdf5-child"

    /// Seconds a child may take before it is killed: `RBM_HDF5_READ_TIMEOUT`, or 60.
    public static var defaultTimeout: Double {
        if let text = ProcessInfo.processInfo.environment["RBM_HDF5_READ_TIMEOUT"],
           let seconds = Double(text), seconds > 0, seconds.isFinite {
            return seconds
        }
        return 60
    }

    /// The executable run as the child: this process's own once `rbm` has called
    /// `childrenRunThisExecutable()` (under any file name), else an `rbm` beside it (the test
    /// runner's case), else nil.
    public static var executable: String? {
        // /proc/self/exe, not the path it links to: it still runs this very binary after a
        // rebuild has replaced the file during a long sweep.
        if registered.load(ordering: .acquiring) { return ownExecutable == nil ? nil : "/proc/self/exe" }
        return sibling
    }

    /// `rbm` calls this at start-up: children are this executable, run as `rbm hdf5-child`.
    public static func childrenRunThisExecutable() {
        registered.store(true, ordering: .releasing)
    }

    private static let registered = Atomic<Bool>(false)

    private static let ownExecutable: String? = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")

    private static let sibling: String? = {
        guard let own = ownExecutable else { return nil }
        let sibling = ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent("rbm")
        return access(sibling, X_OK) == 0 ? sibling : nil
    }()

    /// Reads and checks a checkpoint (as `Checkpoint.read`) without letting libhdf5 in this
    /// process parse the file.
    public static func checkpoint(path: String, timeout: Double? = nil) throws(StoreError) -> Checkpoint {
        guard let executable else { return try Checkpoint.read(path: path) }
        // Errors that need no parsing are told here, as Checkpoint.read would.
        try HDF5File.checkReadableFile(path)
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let copy = folder + "/checkpoint.h5"
        let reply = try run(executable, ["checkpoint", path, copy], reading: path, timeout: timeout ?? defaultTimeout)
        guard case .checkpointWritten = reply else {
            throw .unreadable(path: path, detail: "the reading process gave an unexpected reply")
        }
        return try Checkpoint.read(path: copy)
    }

    /// `Inspection.describe`, made in a child process.
    public static func description(path: String, showConfig: Bool = true,
                                   timeout: Double? = nil) throws(StoreError) -> Inspection.Report {
        guard let executable else { return try Inspection.describe(path: path, showConfig: showConfig) }
        try HDF5File.checkReadableFile(path)
        let reply = try run(executable, ["describe", path, showConfig ? "config" : "no-config"],
                            reading: path, timeout: timeout ?? defaultTimeout)
        guard case let .description(text) = reply else {
            throw .unreadable(path: path, detail: "the reading process gave an unexpected reply")
        }
        return text
    }

    /// The datasets and provenance of a data file from outside (`HDF5File.layout`), read in a
    /// child process.
    public static func layout(path: String, timeout: Double? = nil) throws(StoreError) -> HDF5Layout {
        guard let executable else { return try HDF5File.openReadOnly(path: path).layout() }
        try HDF5File.checkReadableFile(path)
        let reply = try run(executable, ["layout", path, "-"], reading: path, timeout: timeout ?? defaultTimeout)
        guard case let .layout(layout) = reply else {
            throw .unreadable(path: path, detail: "the reading process gave an unexpected reply")
        }
        return layout
    }

    /// Copies dataset `name` of a data file from outside to the `.npy` file `output`
    /// (`HDF5File.exportNPY`) in a child process, allowed the default time plus a second per
    /// 20 MB of the file.
    public static func exportNPY(path: String, dataset name: String, to output: String) throws(StoreError) {
        guard let executable else { return try HDF5File.openReadOnly(path: path).exportNPY(name, to: output) }
        try HDF5File.checkReadableFile(path)
        var status = stat()
        let bytes = stat(path, &status) == 0 ? Double(status.st_size) : 0
        let reply = try run(executable, ["export", path, name, output], reading: path, timeout: defaultTimeout + bytes / 20e6)
        guard case .exported = reply else {
            throw .unreadable(path: path, detail: "the reading process gave an unexpected reply")
        }
    }

    /// What a child writes to its standard output, as JSON.
    enum Reply: Codable {
        case checkpointWritten
        case description(Inspection.Report)
        case layout(HDF5Layout)
        case exported
        case failed(StoreError)
    }

    /// The child's side: `checkpoint <input> <copy>` or `describe <input> config|no-config`,
    /// then `<seconds>`, the time after which it ends itself (SIGALRM) even if its parent has
    /// gone. Prints one `Reply` and returns the exit status (0; 64 for a malformed request).
    public static func childMain(_ arguments: [String]) -> Int32 {
        // A parent stopped by a signal takes its reader with it, even one it had not yet
        // registered (`ChildProcess.killRunningChildren`) when the signal came.
        ChildProcess.endWithParent()
        guard arguments.count == 4 || (arguments.count == 5 && arguments[0] == "export"),
              let seconds = Double(arguments[arguments.count - 1]), seconds > 0 else {
            writeToStandardError("usage: rbm \(childCommand) checkpoint <input> <copy> <seconds> | describe <input> config|no-config <seconds> | layout <input> - <seconds> | export <input> <dataset> <output.npy> <seconds>\n")
            return 64
        }
        limitResources(inputPath: arguments[1], seconds: seconds)
        let reply: Reply
        switch arguments[0] {
        case "checkpoint":
            do {
                let checkpoint = try Checkpoint.read(path: arguments[1])
                try checkpoint.write(to: arguments[2])
                reply = .checkpointWritten
            } catch {
                reply = .failed(error)
            }
        case "describe":
            do {
                reply = .description(try Inspection.describe(path: arguments[1], showConfig: arguments[2] == "config"))
            } catch {
                reply = .failed(error)
            }
        case "layout":
            do { reply = .layout(try HDF5File.openReadOnly(path: arguments[1]).layout()) } catch { reply = .failed(error) }
        case "export":
            do {
                try HDF5File.openReadOnly(path: arguments[1]).exportNPY(arguments[2], to: arguments[3])
                reply = .exported
            } catch {
                reply = .failed(error)
            }
        default:
            writeToStandardError("rbm \(childCommand): unknown request '\(arguments[0])'\n")
            return 64
        }
        guard let data = try? JSONEncoder().encode(reply) else { return 70 }
        FileHandle.standardOutput.write(data)
        return 0
    }

    /// No core files, an address-space limit that lets a checkpoint of the input's size be read
    /// several times over but stops libhdf5 from allocating what a corrupt size field asks for,
    /// and an alarm that ends the process if the parent never does.
    static func limitResources(inputPath: String, seconds: Double) {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        var status = stat()
        let inputBytes = stat(inputPath, &status) == 0 ? UInt64(max(0, status.st_size)) : 0
        let gibibyte: UInt64 = 1 << 30
        let limit = 4 * gibibyte + 8 * inputBytes
        var addressSpace = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
        _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &addressSpace)
        // The alarm ends the process even if whoever started it had SIGALRM blocked or ignored
        // (both are inherited across exec; libdispatch's threads block it).
        signal(SIGALRM, SIG_DFL)
        var alarmOnly = sigset_t()
        sigemptyset(&alarmOnly)
        sigaddset(&alarmOnly, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarmOnly, nil)
        _ = alarm(UInt32(min(seconds.rounded(.up) + 5, Double(UInt32.max))))
    }

    /// Seconds after which a read still going says so on standard error: an intact checkpoint
    /// reads in well under a second, and a user should not watch a silent terminal for a minute.
    static let slowReadNotice: Double = 5

    /// Starts `executable hdf5-child <request> <seconds>`, collects its output within
    /// `timeout` seconds and decodes its reply, saying on standard error when it takes long.
    static func run(_ executable: String, _ request: [String], reading path: String,
                    timeout: Double) throws(StoreError) -> Reply {
        let arguments = [executable, childCommand] + request + [String(timeout)]
        let outcome: ChildOutcome
        do {
            outcome = try ChildProcess.run(arguments, timeout: timeout, slowNotice: (after: slowReadNotice, action: {
                writeToStandardError("rbm: still reading \(path) after \(format(slowReadNotice)) s; a damaged file can make "
                    + "libhdf5 loop, so rbm gives up after \(format(timeout)) s (RBM_HDF5_READ_TIMEOUT)\n")
            }))
        } catch {
            throw .readFailed(path: path, detail: "could not start \(executable) to read it: \(error)")
        }
        switch outcome.termination {
        case .timedOut:
            throw .unreadable(path: path, detail: "reading it did not finish within \(format(timeout)) s "
                + "(libhdf5 loops on some damaged files; set RBM_HDF5_READ_TIMEOUT to allow longer)")
        case let .signaled(signal) where signal == SIGINT || signal == SIGTERM:
            throw .readFailed(path: path, detail: "interrupted (signal \(signal)) while reading it")
        case let .signaled(signal):
            throw .unreadable(path: path, detail: "libhdf5 crashed reading it (\(signalName(signal)))")
        case let .exited(status) where status != 0:
            let message = String(decoding: outcome.standardError.suffix(500), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw .unreadable(path: path, detail: "the reading process exited with status \(status)"
                + (message.isEmpty ? "" : ": \(message)"))
        case .exited:
            break
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(outcome.standardOutput)) else {
            throw .unreadable(path: path, detail: "the reading process gave no reply")
        }
        if case let .failed(error) = reply { throw error }
        return reply
    }

    static func makeTemporaryFolder() throws(StoreError) -> String {
        do { return try makePrivateTemporaryFolder(prefix: "rbm-read") } catch {
            throw .readFailed(path: error.path, detail: error.reason)
        }
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGABRT: "SIGABRT", SIGILL: "SIGILL",
                                      SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGALRM: "SIGALRM", SIGTRAP: "SIGTRAP"]
        return "signal \(signal)" + (names[signal].map { ", \($0)" } ?? "")
    }

}
