import Foundation
import RBMSystem
import Testing
import RBM
import RBMStore
@testable import RBMExperiments

/// The `rbm` executable built beside the test bundle.
func rbmExecutable() throws -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rbm").path
    for candidate in [beside] + [".build-test/release", ".build/release", ".build/debug"].map({ repositoryRoot + "/" + $0 + "/rbm" })
    where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    throw FileError(path: beside, reason: "the rbm executable was not built (swift build --build-tests builds it)")
}

/// A child `rbm` process with its output collected in a file (a pipe nobody reads until the
/// end would fill up and block the child).
final class Child {
    let process = Process()
    let outputPath = NSTemporaryDirectory() + "rbm-child-\(UUID().uuidString).log"

    /// Runs `rbm arguments` with this process's environment plus `environment`.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.executableURL = URL(fileURLWithPath: try rbmExecutable())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(atPath: outputPath) }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit (at most `timeout` seconds) and returns (status, output).
    func finish(timeout: Double = 60) -> (Int32, String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}

/// Waits until `condition` holds (polling), at most `timeout` seconds.
func waitUntil(timeout: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A config file for a long-running child training on the synthetic data.
func longRunConfig(_ folder: SyntheticIDXFolder, _ extra: [String] = []) throws -> String {
    let path = folder.path + "/long.yaml"
    let config = try folder.config(["training.epochs=100000", "output.features=false", "output.pictures=false",
                                    "model.hidden=64", "output.name=long"] + extra)
    try ConfigLoader.render(config).write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func immutableFoldersSupported() -> Bool {
    let probe = NSTemporaryDirectory() + "rbm-chattr-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard chattr("+i", probe) else { return false }
    let blocked = !FileManager.default.createFile(atPath: probe + "/x", contents: Data())
    _ = chattr("-i", probe)
    return blocked
}

@discardableResult
func chattr(_ flag: String, _ path: String) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["chattr", flag, path]
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}

@Suite(.serialized) struct SignalTests {
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalFinishesTheBatchWritesACheckpointAndExitsWithItsStatus(signal: Int32, status: Int32) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try longRunConfig(folder)
        let checkpoint = folder.path + "/runs/long/checkpoint.h5"
        let child = try Child(["train", config, "--quiet"])
        #expect(waitUntil { FileManager.default.fileExists(atPath: checkpoint) }, "training should write a first checkpoint")
        usleep(100_000)
        child.signal(signal)
        let (exitStatus, output) = child.finish()
        #expect(exitStatus == status, "exit status \(exitStatus); output:\n\(output.suffix(500))")
        #expect(output.contains("rbm resume \(folder.path)/runs/long"), "says how to resume")
        let saved = try Checkpoint.read(path: checkpoint)
        #expect(saved.state.step > 0 && saved.model.isFinite)
        // And the run continues from there.
        let resumed = try Child(["resume", folder.path + "/runs/long", "--epochs", String(saved.epoch + 1), "--quiet"])
        let (resumeStatus, resumeOutput) = resumed.finish()
        #expect(resumeStatus == 0, "\(resumeOutput.suffix(500))")
        #expect(try Checkpoint.read(path: checkpoint).epoch == saved.epoch + 1)
    }

    @Test func secondCtrlCExitsAtOnceAndLeavesACompleteCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try longRunConfig(folder)
        let checkpoint = folder.path + "/runs/long/checkpoint.h5"
        let child = try Child(["train", config, "--quiet"])
        #expect(waitUntil { FileManager.default.fileExists(atPath: checkpoint) })
        child.signal(SIGINT)
        child.signal(SIGINT)
        let (status, _) = child.finish()
        #expect(status == 130)
        #expect(throws: Never.self) { try Checkpoint.read(path: checkpoint) }
    }

    /// kill -9 at many moments while checkpoints are written every epoch (several a second):
    /// the checkpoint on disk is always complete, and stale temporary files are cleaned up.
    @Test func killMinusNineNeverLeavesABrokenCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try longRunConfig(folder, ["output.checkpoint_every=1", "model.hidden=8"])
        let checkpoint = folder.path + "/runs/long/checkpoint.h5"
        var resume: [String] = []
        for attempt in 0..<6 {
            let child = try Child(["train", config, "--quiet"] + resume)
            #expect(waitUntil { FileManager.default.fileExists(atPath: checkpoint) })
            usleep(UInt32(30_000 + attempt * 37_000))
            child.signal(SIGKILL)
            _ = child.finish()
            let saved = try Checkpoint.read(path: checkpoint)
            #expect(saved.model.isFinite)
            resume = ["--resume"]
        }
        // One more run that writes a checkpoint removes what killed runs left behind.
        let final = try Child(["train", config, "--resume", "--quiet"])
        let before = try Checkpoint.read(path: checkpoint).epoch
        #expect(waitUntil { ((try? Checkpoint.read(path: checkpoint))?.epoch ?? 0) > before + 1 })
        final.signal(SIGINT)
        _ = final.finish()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/runs/long").filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "stale temporary files: \(leftovers)")
    }
}

@Suite(.serialized) struct FailureTests {
    @Test func divergenceNamesTheEpochAndKeepsTheLastGoodCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        // The learning rate grows geometrically from 0.01 to 10⁶ over 6 epochs: early epochs
        // train, a late one blows up.
        let config = try folder.config(["training.epochs=6", "training.learning_rate=0.01", "training.final_learning_rate=1000000",
                                        "training.learning_rate_decay=exponential", "output.checkpoint_every=1",
                                        "model.weight_std=1"])
        var divergedEpoch = 0
        #expect {
            try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()
        } throws: { error in
            guard let error = error as? TrainingError, case let .diverged(epoch, _) = error else { return false }
            divergedEpoch = epoch
            return "\(error)".contains("epoch \(epoch)") && "\(error)".contains("lower training.learning_rate")
        }
        #expect(divergedEpoch > 1)
        let kept = try Checkpoint.read(path: folder.path + "/runs/tiny/checkpoint.h5")
        #expect(kept.epoch == divergedEpoch - 1 && kept.model.isFinite)
    }

    @Test func unwritableOutputFolderIsRefusedBeforeTraining() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let blocker = folder.path + "/not-a-folder"
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        var trained = false
        var run = TrainingRun(config: try folder.config(["output.folder=\(blocker)/runs"]), log: { _ in },
                              progress: ProgressLine(enabled: false))
        run.afterBatch = { _, _ in trained = true }
        #expect {
            try run.run()
        } throws: { error in "\(error)".contains(blocker) }
        #expect(!trained, "no training before the output folder is known to be writable")
    }

    @Test(.enabled(if: immutableFoldersSupported(), "needs chattr +i (ext4 and root)"))
    func writeFailureDuringTrainingNamesThePathAndKeepsTheLastCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let runFolder = folder.path + "/runs/tiny"
        var run = TrainingRun(config: try folder.config(["training.epochs=4", "output.checkpoint_every=1"]), log: { _ in },
                              progress: ProgressLine(enabled: false))
        // After the first epoch's checkpoint, make the run folder immutable (even for root).
        run.afterBatch = { epoch, batch in
            if epoch == 1 && batch == 1 { _ = chattr("+i", runFolder) }
        }
        defer { chattr("-i", runFolder) }
        #expect {
            try run.run()
        } throws: { error in "\(error)".contains(runFolder) }
        chattr("-i", runFolder)
        let kept = try Checkpoint.read(path: runFolder + "/checkpoint.h5")
        #expect(kept.epoch == 1 && kept.model.isFinite)
    }

    /// A file on which libhdf5 1.10.8 itself dies with SIGSEGV (found by make fuzz): the commands
    /// that read files from outside report it as damaged and exit normally, leaving it in place.
    @Test func fileThatCrashesLibHDF5IsReportedNotFatal() throws {
        let crashing = repositoryRoot + "/Fuzz/known-libhdf5/crash-0136a258d075c3787d24dbfaeafa7ba5ca409f4c"
        let (inspectStatus, inspectOutput) = try Child(["inspect", crashing]).finish()
        #expect(inspectStatus == 1)
        #expect(inspectOutput.contains("\(crashing): damaged or not an HDF5 file rbm can read: libhdf5 crashed"))

        let folder = NSTemporaryDirectory() + "rbm-crashing-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: crashing, toPath: folder + "/checkpoint.h5")
        let (resumeStatus, resumeOutput) = try Child(["resume", folder]).finish()
        #expect(resumeStatus == 2)
        #expect(resumeOutput.contains("\(folder)/checkpoint.h5: damaged"))
        let (evaluateStatus, evaluateOutput) = try Child(["evaluate", folder + "/checkpoint.h5"]).finish()
        #expect(evaluateStatus == 1)
        #expect(evaluateOutput.contains("libhdf5 crashed"))
        #expect(FileManager.default.contentsEqual(atPath: crashing, andPath: folder + "/checkpoint.h5"))
    }

    /// A file on which libhdf5 loops for ever: `rbm inspect` says after a few seconds that it
    /// is still reading and why, then gives up at RBM_HDF5_READ_TIMEOUT naming the file.
    @Test func fileThatHangsLibHDF5IsAnnouncedThenGivenUp() throws {
        let hanging = repositoryRoot + "/Fuzz/known-libhdf5/timeout-11d92dd8263c3a2bb9eb853faf4d0d0e2adac9e8"
        let started = Date()
        let (status, output) = try Child(["inspect", hanging], environment: ["RBM_HDF5_READ_TIMEOUT": "7"]).finish()
        #expect(status == 1)
        #expect(output.contains("rbm: still reading \(hanging) after 5 s; a damaged file can make libhdf5 loop"))
        #expect(output.contains("\(hanging): damaged or not an HDF5 file rbm can read: reading it did not finish within 7 s"))
        #expect(Date().timeIntervalSince(started) < 30)
    }
}

@Suite struct AtomicTextTests {
    /// A process killed between writing a text file's temporary copy and renaming it leaves
    /// `.<name>.tmp-<pid>`; the next write of that file removes it (pid 2^22 + 1 is above
    /// Linux's default pid_max, so no such process runs) and leaves a live process's alone.
    @Test func staleTemporaryOfAKilledWriterIsRemovedByTheNextWrite() throws {
        let folder = NSTemporaryDirectory() + "rbm-text-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/metrics.csv"
        let stale = AtomicFile.temporaryPath(for: path, pid: 4_194_305)
        let live = AtomicFile.temporaryPath(for: path, pid: 1)
        FileManager.default.createFile(atPath: stale, contents: Data("half".utf8))
        FileManager.default.createFile(atPath: live, contents: Data("busy".utf8))
        try writeTextAtomically("epoch\n1\n", to: path)
        #expect(try readText(path: path) == "epoch\n1\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [".metrics.csv.tmp-1", "metrics.csv"])
    }
}
