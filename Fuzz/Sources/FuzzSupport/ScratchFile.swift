#if canImport(Glibc)
import Glibc
#endif

/// Writes fuzz input to a file in /dev/shm (memory), for parsers that read paths.
public func writeScratchFile(_ name: String, _ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    let path = "/dev/shm/rbm-fuzz-\(getpid())-\(name)"
    if let file = fopen(path, "wb") {
        fwrite(data, 1, size, file)
        fclose(file)
    }
    return path
}
