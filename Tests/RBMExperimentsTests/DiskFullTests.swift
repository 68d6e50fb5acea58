import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// A small tmpfs mounted for one test: a real file system that fills up. Needs root (CI and
/// the development machines run as root); elsewhere the tests that use it are skipped, and
/// the test report says so.
struct SmallFileSystem {
    let path: String

    static let available: Bool = {
        guard getuid() == 0, let probe = try? SmallFileSystem(kilobytes: 64) else { return false }
        probe.unmount()
        return true
    }()

    init(kilobytes: Int) throws {
        path = NSTemporaryDirectory() + "rbm-tmpfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]) else {
            try? FileManager.default.removeItem(atPath: path)
            throw FileError(path: path, reason: "cannot mount a tmpfs")
        }
    }

    func unmount() {
        _ = run("/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

@Suite(.serialized) struct DiskFullTests {
    /// Checkpoints of ~580 kB on a 1 MB file system: the first fits, the second (written beside
    /// the first before the rename) does not. The run ends with an error naming the path and
    /// the reason, exit status 1, no crash, and the first checkpoint intact.
    @Test(.enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func aFullDiskIsAnErrorAndKeepsThePreviousCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let disk = try SmallFileSystem(kilobytes: 1024)
        defer { disk.unmount() }
        let path = folder.path + "/big.yaml"
        let config = try folder.config(["model.hidden=2000", "training.epochs=3", "output.checkpoint_every=1",
                                        "output.features=false", "output.pictures=false", "output.folder=\(disk.path)"])
        try ConfigLoader.render(config).write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try Child(["train", path, "--quiet"]).finish()
        #expect(status == 1, "\(output)")
        #expect(output.contains("error: \(disk.path)/tiny/checkpoint.h5: write failed: no space left on device"), "\(output)")
        let kept = try Checkpoint.read(path: disk.path + "/tiny/checkpoint.h5")
        #expect(kept.epoch == 1 && kept.model.isFinite)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: disk.path + "/tiny").filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    /// `rbm features` into a full file system: said before writing, nothing left behind.
    @Test(.enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func featuresThatDoNotFitAreAnErrorBeforeAnythingIsWritten() throws {
        let folder = SyntheticIDXFolder(trainCount: 2400)
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(["training.epochs=1", "model.hidden=200", "output.features=false",
                                                         "output.pictures=false"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        let result = try run.run()
        let disk = try SmallFileSystem(kilobytes: 256)
        defer { disk.unmount() }
        let (status, output) = try Child(["features", result.folder + "/checkpoint.h5", "--data", folder.dataPath,
                                          "--out", disk.path + "/features.h5"]).finish()
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(disk.path)/features.h5: no space left on device: writing it needs"), "\(output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).isEmpty)
    }
}
