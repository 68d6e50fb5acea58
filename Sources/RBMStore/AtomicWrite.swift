import RBMSystem

/// `AtomicFile.commit`, reporting a failure as this module's error.
func commit(temporary: String, to path: String) throws(StoreError) {
    do { try AtomicFile.commit(temporary: temporary, to: path) } catch {
        throw .writeFailed(path: path, detail: error.reason)
    }
}
