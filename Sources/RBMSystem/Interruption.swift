import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM as a flag the training loop reads after every batch.
public enum Interruption {
    private static let requested = Atomic<Int32>(0)

    /// The signal that asked to stop, or nil.
    public static var signal: Int32? {
        let value = requested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// From now on the first SIGINT or SIGTERM sets the flag; a second one exits at once.
    public static func install() {
        // A parent may have started us with these signals blocked (a blocked mask is
        // inherited across exec): unblock them, or Ctrl-C would never arrive.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        for signalNumber in [SIGINT, SIGTERM] {
            Glibc.signal(signalNumber) { received in
                if Interruption.requested.exchange(received, ordering: .relaxed) != 0 {
                    _exit(128 + received)
                }
            }
        }
    }

    /// For tests: behave as if `signal` had arrived (0 clears).
    public static func simulate(_ signal: Int32) {
        requested.store(signal, ordering: .relaxed)
    }
}
