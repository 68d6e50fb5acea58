import RBMSystem

/// Calls `body` with a fresh temporary path beside `path` (see `AtomicFile`), then moves the
/// file into place. On any failure the temporary file is removed and whatever was at `path`
/// is untouched. `body` must have closed the file before it returns.
func writeAtomically(to path: String, _ body: (String) throws(StoreError) -> Void) throws(StoreError) {
    let temporary: String
    do { temporary = try AtomicFile.createTemporary(for: path) } catch {
        throw .cannotCreate(path: path, detail: error.reason)
    }
    do {
        try body(temporary)
    } catch {
        AtomicFile.discard(temporary: temporary)
        throw error
    }
    try commit(temporary: temporary, to: path)
}

/// `AtomicFile.commit`, reporting a failure as this module's error.
func commit(temporary: String, to path: String) throws(StoreError) {
    do { try AtomicFile.commit(temporary: temporary, to: path) } catch {
        throw .writeFailed(path: path, detail: error.reason)
    }
}
