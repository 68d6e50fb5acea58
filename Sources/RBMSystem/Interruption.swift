import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM.
///
/// What the first signal does depends on the phase the program is in:
/// - `.training`: it only sets a flag, which the training loop reads after every minibatch (it
///   then writes a checkpoint of that exact state and stops); a second signal exits at once.
/// - `.starting` (loading data, reading checkpoints, and every command that only reads) and
///   `.finishing` (features, pictures):
///   it ends the process at once with status 128 + n, saying so on standard error. These
///   phases may wait on the system (a slow disk, a child process) and hold nothing that a
///   stop could lose: every file the project writes is written to a temporary name and renamed.
public enum Interruption {
    public enum Phase: Int32, Sendable {
        case starting = 0
        case training = 1
        case finishing = 2
    }

    private static let requested = Atomic<Int32>(0)
    private static let currentPhase = Atomic<Int32>(Phase.starting.rawValue)

    /// The signal that asked to stop, or nil.
    public static var signal: Int32? {
        let value = requested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// The phase the handler acts for (see the type's documentation).
    public static var phase: Phase {
        get { Phase(rawValue: currentPhase.load(ordering: .relaxed)) ?? .starting }
        set { currentPhase.store(newValue.rawValue, ordering: .relaxed) }
    }

    /// From now on SIGINT and SIGTERM are handled as the current `phase` says.
    public static func install() {
        // A parent may have started us with these signals blocked (a blocked mask is
        // inherited across exec): unblock them, or Ctrl-C would never arrive.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        ChildProcess.prepareForSignalHandlers()
        for signalNumber in [SIGINT, SIGTERM] {
            Glibc.signal(signalNumber) { received in
                let phase = Interruption.currentPhase.load(ordering: .relaxed)
                let first = Interruption.requested.exchange(received, ordering: .relaxed) == 0
                if first && phase == Phase.training.rawValue { return }
                // Only async-signal-safe calls from here: write(2) of static text, _exit.
                let message: StaticString
                switch phase {
                case Phase.training.rawValue: message = "\nrbm: stopped at once by a second signal\n"
                case Phase.finishing.rawValue:
                    message = "\nrbm: stopped by a signal while writing the run's outputs; its checkpoint is complete\n"
                default: message = "\nrbm: stopped by a signal (files are written whole or not at all)\n"
                }
                _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
                ChildProcess.killRunningChildren()
                _exit(128 + received)
            }
        }
    }
}
