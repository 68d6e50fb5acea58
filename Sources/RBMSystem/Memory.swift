#if canImport(Glibc)
import Glibc
#endif

/// Bytes of memory the kernel estimates it can give a new allocation without swapping
/// (`MemAvailable` of /proc/meminfo), or nil where that cannot be read.
public func availableMemoryBytes() -> Double? {
    guard let text = try? readText(path: "/proc/meminfo") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
        let fields = line.split(separator: " ")
        if fields.count >= 2, let kilobytes = Double(fields[1]) { return kilobytes * 1024 }
    }
    return nil
}

/// "3.1 GB", "512 MB", "64 kB".
public func formatBytes(_ bytes: Double) -> String {
    if bytes >= 1e9 { return format(bytes / 1e9, 1) + " GB" }
    if bytes >= 1e6 { return format(bytes / 1e6, 1) + " MB" }
    return format(bytes / 1e3, 0) + " kB"
}
