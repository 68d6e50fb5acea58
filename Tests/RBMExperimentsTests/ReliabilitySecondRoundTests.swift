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

@Suite(.serialized) struct LogStreamingTests {
    /// `rbm train … > log.txt`: each epoch line is in the file as soon as the epoch ends, so
    /// kill -9 keeps the log of every completed epoch.
    @Test func epochLinesReachAFileAsTheyHappen() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let child = try Child(["train", try longRunConfig(folder)])
        let logged = waitUntil {
            ((try? String(contentsOfFile: child.outputPath, encoding: .utf8)) ?? "").contains("epoch      2/100000")
        }
        let running = child.process.isRunning
        child.signal(SIGKILL)
        _ = child.finish()
        #expect(logged && running, "the second epoch's line was in the file while the run went on")
    }
}

@Suite struct RefusalTests {
    /// A model far larger than memory is refused with the estimate, before any allocation.
    @Test func aModelThatCannotFitInMemoryIsRefusedWithTheEstimate() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(["model.hidden=1000000"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        run.availableMemory = { 200e6 }
        #expect {
            try run.run()
        } throws: { error in
            guard let error = error as? TrainingError, case let .tooLarge(needed, available, _) = error else { return false }
            // 36 × 10⁶ weights × 4 bytes × (3 shards + 9 copies) ≈ 1.7 GB.
            return abs(needed - 36e6 * 4 * 12) < 1e6 && available == 200e6 && "\(error)".contains("200.0 MB are available")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/runs/tiny"))
    }

    /// `rbm evaluate` and `rbm features` on a checkpoint holding NaN refuse with the advice
    /// the trainer gives on divergence, instead of printing nan and exiting 0.
    @Test func aCheckpointWithNaNIsRefusedByEvaluateAndFeatures() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(["training.epochs=1", "output.pictures=false"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        let result = try run.run()
        let path = result.folder + "/checkpoint.h5"
        var checkpoint = try Checkpoint.read(path: path)
        checkpoint.state.model.weights[3] = .nan
        try checkpoint.write(to: path)
        for arguments in [["evaluate", path], ["features", path, "--data", folder.dataPath, "--out", folder.path + "/f.h5"]] {
            let (status, output) = try Child(arguments).finish()
            #expect(status == 1, "\(arguments[0]): \(output)")
            #expect(output.contains("not all finite numbers") && output.contains("lower training.learning_rate"), "\(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/f.h5"))
    }

    @Test func quotedNumbersAreStringsAndMessagesSayWhatWasFoundOnce() throws {
        #expect {
            try ConfigLoader.parse("model:\n  hidden: \"32\"\n", file: "q.yaml")
        } throws: { error in
            "\(error)" == "q.yaml:2: model.hidden: expected an integer, found the quoted string \"32\" (write numbers without quotes)"
        }
        #expect {
            try ConfigLoader.parse("model:\n  hidden: 32.5\n", file: "q.yaml")
        } throws: { error in "\(error)" == "q.yaml:2: model.hidden: expected an integer, found '32.5'" }
        let long = String(repeating: "x", count: 200_000)
        #expect {
            try ConfigLoader.parse("model:\n  hidden: \(long)\n", file: "q.yaml")
        } throws: { error in "\(error)".count < 300 && "\(error)".contains("more characters") }
    }
}

@Suite struct CurveTickTests {
    @Test func epochTicksAreWholeRoundNumbers() {
        let ticks = LearningCurves.ticks(from: 1, to: 30, minimumStep: 1)
        #expect(ticks.values == [5, 10, 15, 20, 25, 30] && ticks.decimals == 0)
        #expect(LearningCurves.ticks(from: 1, to: 2, minimumStep: 1).values == [1, 2])
        #expect(LearningCurves.ticks(from: 1, to: 500, minimumStep: 1).values == [100, 200, 300, 400, 500])
    }

    @Test func valueTicksAreRoundWithTheDecimalsTheyNeed() {
        let ticks = LearningCurves.ticks(from: -0.013, to: 0.47)
        #expect(ticks.values.count >= 3 && ticks.values.count <= 7)
        #expect(ticks.values.allSatisfy { ($0 * 10).rounded() == $0 * 10 } && ticks.decimals == 1)
        #expect(LearningCurves.ticks(from: -112.4, to: -95.2).values == [-110, -105, -100])
    }
}

@Suite struct ConfigMessageTests {
    /// A rule that two keys break together is blamed on `--set` when `--set` gave the key.
    @Test func aBrokenRuleFromSetIsBlamedOnSet() throws {
        #expect {
            try ConfigLoader.parse("training:\n  batch_size: 10\n", file: "c.yaml", overrides: ["training.shards=20"])
        } throws: { error in "\(error)".hasPrefix("--set: training.shards: 20 shards cannot split a batch of 10 rows") }
        #expect {
            try ConfigLoader.parse("training:\n  shards: 20\n  batch_size: 10\n", file: "c.yaml")
        } throws: { error in "\(error)".hasPrefix("c.yaml: training.shards:") }
    }

    /// An empty config file trains the defaults, and says so.
    @Test func anEmptyConfigFileSaysTheDefaultsApply() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = folder.path + "/empty.yaml"
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try Child(["train", path, "--quiet", "--set", "data.path=\(folder.dataPath)",
                                          "--set", "data.validation=40", "--set", "training.epochs=1",
                                          "--set", "model.hidden=4", "--set", "output.folder=\(folder.path)/runs",
                                          "--set", "output.pictures=false"]).finish()
        #expect(status == 0, "\(output)")
        #expect(output.contains("note: \(path) sets no keys, so the defaults apply (with --set)"), "\(output)")
    }
}
