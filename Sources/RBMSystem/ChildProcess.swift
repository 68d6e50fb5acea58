import CProcessControl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended, and what it printed.
public struct ChildOutcome: Sendable {
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
    }

    public var termination: Termination
    public var standardOutput: [UInt8]
    /// At most the first 64 KiB.
    public var standardError: [UInt8]
}

/// Runs a program with posix_spawn, collecting its standard output and error, and kills it
/// (SIGKILL) if it has not ended `timeout` seconds after it started. `slowNotice`, if given,
/// is called once when the program is still running `slowNotice.after` seconds after it started.
///
/// Written on posix_spawn rather than taken from swift-subprocess: the reader of damaged HDF5
/// files needs a hard SIGKILL deadline, a synchronous call (it runs inside synchronous
/// training and CLI code), no inherited descriptors but 0-2 (libhdf5's file locks) and reset
/// signal dispositions, and swift-subprocess is async-only and would add swift-system to every
/// CI build for the one caller.
public enum ChildProcess {
    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func run(_ arguments: [String], timeout: Double,
                           slowNotice: (after: Double, action: () -> Void)? = nil) throws(SpawnError) -> ChildOutcome {
        let started = monotonicSeconds()
        let child = try spawn(arguments)
        let slot = register(child.pid)
        defer { unregister(slot) }
        var outcome = collectOutput(of: child, until: started + timeout, started: started, slowNotice: slowNotice)
        outcome.termination = waitForExit(child.pid, until: started + timeout)
        return outcome
    }

    /// The children running now, so that a process ending at once on a signal can take them
    /// with it (`killRunningChildren`) instead of leaving a child looping in libhdf5 until its
    /// alarm. Four fixed slots (reads run one at a time, or a few): no allocation, safe to read
    /// in a signal handler.
    private static let slot0 = Atomic<Int32>(0)
    private static let slot1 = Atomic<Int32>(0)
    private static let slot2 = Atomic<Int32>(0)
    private static let slot3 = Atomic<Int32>(0)

    private static func withSlot<T>(_ index: Int, _ body: (borrowing Atomic<Int32>) -> T) -> T {
        switch index {
        case 0: return body(slot0)
        case 1: return body(slot1)
        case 2: return body(slot2)
        default: return body(slot3)
        }
    }

    static func register(_ pid: pid_t) -> Int? {
        for index in 0..<4 where withSlot(index, { $0.compareExchange(expected: 0, desired: pid, ordering: .relaxed).exchanged }) {
            return index
        }
        return nil
    }

    static func unregister(_ index: Int?) {
        if let index { withSlot(index) { $0.store(0, ordering: .relaxed) } }
    }

    /// Initializes the slots (lazy globals) outside any signal handler.
    static func prepareForSignalHandlers() {
        for index in 0..<4 { _ = withSlot(index) { $0.load(ordering: .relaxed) } }
    }

    /// SIGKILL to every child `run` is waiting for. Async-signal-safe (atomics and kill(2))
    /// once `prepareForSignalHandlers` has run.
    public static func killRunningChildren() {
        for index in 0..<4 {
            let pid = withSlot(index) { $0.load(ordering: .relaxed) }
            if pid > 0 { kill(pid, SIGKILL) }
        }
    }

    /// The environment variable that tells a child the pid of the process that started it
    /// (`endWithParent`).
    public static let parentVariable = "RBM_PARENT_PID"

    /// Called first thing by a child that must not outlive the process that started it (the
    /// HDF5 reader, which may loop in libhdf5 for its whole time limit): from now on the
    /// kernel kills this process when its parent ends, and if the parent has already ended
    /// (it was stopped between starting the child and `killRunningChildren` knowing its pid),
    /// this process ends now, with status 1 and a line on standard error.
    ///
    /// The parent is the pid in `RBM_PARENT_PID` (set by `run`), else this process's parent now.
    public static func endWithParent() {
        let expected = ProcessInfo.processInfo.environment[parentVariable].flatMap { pid_t($0) } ?? getppid()
        _ = rbm_kill_this_process_when_parent_ends()
        // Checked after the request: a parent that ends later is covered by the kernel.
        if getppid() != expected {
            writeToStandardError("rbm: the process that started this one (pid \(expected)) has ended; stopping\n")
            _exit(1)
        }
    }

    /// A started child: its pid and the read ends of its standard output and error.
    struct Spawned {
        var pid: pid_t
        var output: Int32
        var error: Int32
    }

    /// posix_spawn with standard input from /dev/null, standard output and error to pipes,
    /// no other descriptors, no blocked signals and default handlers.
    static func spawn(_ arguments: [String]) throws(SpawnError) -> Spawned {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&outputPipe) == 0 else { throw SpawnError(description: errnoText("pipe")) }
        guard pipe(&errorPipe) == 0 else {
            close(outputPipe[0]); close(outputPipe[1])
            throw SpawnError(description: errnoText("pipe"))
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        // Nothing else is inherited: a child holding another thread's HDF5 file open would keep
        // libhdf5's lock on it (flock) after that thread closed it, and another read would fail.
        closeInheritedDescriptors(&actions)

        // The child starts with no blocked signals and default handlers for the ones a
        // parent may have caught, whatever this process does with them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // Swift's crash backtracer would spend seconds symbolicating a libhdf5 crash.
        var environment = environmentEntries().filter {
            !$0.hasPrefix("SWIFT_BACKTRACE=") && !$0.hasPrefix(parentVariable + "=")
        }
        environment.append("SWIFT_BACKTRACE=enable=no")
        environment.append("\(parentVariable)=\(getpid())")

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0]); close(errorPipe[0])
            throw SpawnError(description: "\(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        return Spawned(pid: pid, output: outputPipe[0], error: errorPipe[0])
    }

    /// Reads both pipes until the child closes them or `deadline` passes (then closes them),
    /// keeping all of standard output and the first 64 KiB of standard error.
    static func collectOutput(of child: Spawned, until deadline: Double, started: Double,
                              slowNotice: (after: Double, action: () -> Void)?) -> ChildOutcome {
        var outcome = ChildOutcome(termination: .timedOut, standardOutput: [], standardError: [])
        var pendingNotice = slowNotice
        var open = [child.output, child.error]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            let now = monotonicSeconds()
            let remaining = deadline - now
            if remaining <= 0 { break }
            if let notice = pendingNotice, now - started >= notice.after {
                notice.action()
                pendingNotice = nil
            }
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(min(remaining * 1000, 1000).rounded(.up)))
            if ready < 0 && errno != EINTR { break }
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count > 0 {
                    if descriptor.fd == child.output {
                        outcome.standardOutput += buffer[0..<count]
                    } else if outcome.standardError.count < 65_536 {
                        outcome.standardError += buffer[0..<count]
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(descriptor.fd)
                    open.removeAll { $0 == descriptor.fd }
                }
            }
        }
        open.forEach { close($0) }
        return outcome
    }

    /// Waits for the child until `deadline`, then kills it (SIGKILL) and reaps it.
    static func waitForExit(_ pid: pid_t, until deadline: Double) -> ChildOutcome.Termination {
        var status: Int32 = 0
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { return decode(status) }
            if waited < 0 && errno != EINTR { return .exited(-1) }
            if monotonicSeconds() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return .timedOut
            }
            usleep(2_000)
        }
    }

    /// Adds "close every descriptor from 3 up" to `actions`: glibc's
    /// posix_spawn_file_actions_addclosefrom_np (2.34+, looked up at run time because Swift
    /// does not import it), else one close per descriptor open now.
    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// WIFEXITED / WIFSIGNALED, which are macros Swift does not import.
    static func decode(_ status: Int32) -> ChildOutcome.Termination {
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }

    static func errnoText(_ call: String) -> String {
        "\(call): \(String(cString: strerror(errno)))"
    }

    /// This process's environment as NAME=value strings.
    static func environmentEntries() -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            entries.append(String(cString: entry))
            pointer += 1
        }
        return entries
    }
}
