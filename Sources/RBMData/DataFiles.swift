import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// Opens a data file for reading: a regular file only (`openRegularFile`), so that a FIFO or a
/// device named as data is an error at once instead of a hang or an endless read. `name` is how
/// messages call it (default: the path).
func openDataFile(_ path: String, name: String? = nil) throws(DataError) -> Int32 {
    do { return try openRegularFile(path) } catch {
        throw .cannotOpen(path: name ?? path, reason: error.reason)
    }
}
