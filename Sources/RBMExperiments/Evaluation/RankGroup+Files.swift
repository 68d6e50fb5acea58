import RBM
import RBMData
import RBMSystem

extension RankGroup {
    /// A path on this rank to the file rank 0 has at `path`: rank 0's own path, and on every
    /// other rank a temporary copy of the bytes rank 0 read and broadcast (no shared file
    /// system needed). The copies live until the process ends.
    func localCopy(of path: String) throws -> String {
        guard size > 1 else { return path }
        let bytes = isRoot ? try readBytes(path: path) : []
        let received = broadcast(bytes, root: 0)
        if isRoot { return path }
        let folder = try DataLoader.makeTemporaryFolder()
        let copy = folder + "/" + (path.split(separator: "/").last.map(String.init) ?? "file")
        try AtomicFile.write(received, to: copy)
        return copy
    }
}
