import Foundation
import RBMSystem
import Testing

@Suite struct FolderLockTests {
    @Test func aHeldFolderIsRefusedNamingTheHolderAndFreedWhenTheHolderEnds() throws {
        let folder = NSTemporaryDirectory() + "rbm-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var first: FolderLock? = try FolderLock(folder: folder, purpose: "training tiny")
        #expect(throws: FolderLockError.held(folder: folder, holder: "pid \(getpid()): training tiny")) {
            try FolderLock(folder: folder, purpose: "another")
        }
        _ = first
        first = nil
        // Freed once no descriptor of it is open. A child that another test is spawning at this
        // moment shares the descriptor until its exec closes it (O_CLOEXEC), which on a loaded
        // machine can take a while: wait for that, not for ever.
        var second: FolderLock?
        let deadline = Date().addingTimeInterval(20)
        while second == nil {
            do { second = try FolderLock(folder: folder, purpose: "another") } catch {
                guard Date() < deadline else { throw error }
                usleep(20_000)
            }
        }
        #expect(second?.folder == folder)
    }

    @Test func aLockInAMissingFolderIsAnErrorNamingIt() {
        #expect {
            try FolderLock(folder: "/no/such/folder", purpose: "x")
        } throws: { error in "\(error)".hasPrefix("/no/such/folder: cannot take the folder's lock") }
    }
}
