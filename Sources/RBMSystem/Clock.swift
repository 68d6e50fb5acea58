#if canImport(Glibc)
import Glibc
#endif

/// Seconds since an arbitrary start, from the monotonic clock (never goes back).
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}
