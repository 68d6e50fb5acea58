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
        let second = try FolderLock(folder: folder, purpose: "another")
        #expect(second.folder == folder)
    }

    @Test func aLockInAMissingFolderIsAnErrorNamingIt() {
        #expect {
            try FolderLock(folder: "/no/such/folder", purpose: "x")
        } throws: { error in "\(error)".hasPrefix("/no/such/folder: cannot take the folder's lock") }
    }
}
