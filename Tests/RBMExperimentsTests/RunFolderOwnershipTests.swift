import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// A run folder is owned: one process writes it at a time, and a finished run in it is not
/// overwritten by accident.
@Suite(.serialized) struct RunFolderOwnershipTests {
    func quietRun(_ config: ExperimentConfig) -> TrainingRun {
        var run = TrainingRun(config: config, log: { _ in })
        run.progress = ProgressLine(enabled: false)
        return run
    }

    /// Two `rbm train` on one folder: the second refuses at once, naming the folder and the
    /// process that holds it; after the holder is killed with -9 the lock is gone.
    @Test func aSecondTrainingOnTheSameFolderIsRefusedAndAKilledHolderBlocksNothing() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try longRunConfig(folder)
        let runFolder = folder.path + "/runs/long"
        let first = try Child(["train", config, "--quiet"])
        #expect(waitUntil { FileManager.default.fileExists(atPath: runFolder + "/checkpoint.h5") })

        let (status, output) = try Child(["train", config, "--resume", "--quiet"]).finish()
        #expect(status == 1)
        #expect(output.contains("error: \(runFolder) is in use by another rbm process (pid \(first.process.processIdentifier)"),
                "\(output)")
        #expect(first.process.isRunning, "the holder goes on")

        first.signal(SIGKILL)
        _ = first.finish()
        let second = try Child(["train", config, "--resume", "--quiet"])
        let epochs = try Checkpoint.read(path: runFolder + "/checkpoint.h5").epoch
        #expect(waitUntil { ((try? Checkpoint.read(path: runFolder + "/checkpoint.h5"))?.epoch ?? 0) > epochs },
                "a run after kill -9 takes the folder")
        second.signal(SIGINT)
        #expect(second.finish().0 == 130)
    }

    /// The lock is the same for trainings and sweeps: a training whose run folder is a sweep's
    /// folder, or a sweep over a folder a training holds, is refused.
    @Test func sweepsAndTrainingsShareTheLock() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let held = folder.path + "/sweeps/tiny-sweep"
        try FileManager.default.createDirectory(atPath: held, withIntermediateDirectories: true)
        let lock = try FolderLock(folder: held, purpose: "a test")
        let path = folder.path + "/tiny-sweep.yaml"
        let base = try ConfigLoader.render(folder.config(["training.epochs=1"]))
        let indented = base.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        try "base:\n\(indented)\ngrid:\n  training.learning_rate: [0.05]\noutput:\n  folder: \(folder.path)/sweeps\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (spec, root) = try SweepLoader.load(path: path)
        var runner = SweepRunner(spec: spec, outputRoot: root)
        runner.log = { _ in }
        runner.progress = ProgressLine(enabled: false)
        #expect(throws: FolderLockError.self) { try runner.run() }

        var config = try folder.config(["training.epochs=1"])
        config.output.folder = folder.path + "/sweeps"
        config.output.name = "tiny-sweep"
        #expect {
            try quietRun(config).run()
        } throws: { error in
            guard let error = error as? TrainingError, case .folderInUse = error else { return false }
            return "\(error)".contains("pid \(getpid()): a test")
        }
        _ = lock
    }

    /// Training afresh into a folder that holds a checkpoint refuses, saying how to continue,
    /// extend or start over; --force starts over.
    @Test func aFinishedRunIsNotOverwrittenWithoutForce() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.epochs=3", "output.pictures=false", "output.features=false"])
        _ = try quietRun(config).run()
        let checkpoint = folder.path + "/runs/tiny/checkpoint.h5"
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))

        let path = folder.path + "/tiny.yaml"
        try ConfigLoader.render(config).write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try Child(["train", path, "--set", "training.epochs=1", "--quiet"]).finish()
        #expect(status == 1)
        #expect(output.contains("runs/tiny already holds a run (3 epoch(s) in its checkpoint)"), "\(output)")
        #expect(output.contains("--resume") && output.contains("rbm resume") && output.contains("--force"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == before, "the finished run is intact")

        let (forced, forcedOutput) = try Child(["train", path, "--set", "training.epochs=1", "--force", "--quiet"]).finish()
        #expect(forced == 0, "\(forcedOutput)")
        #expect(try Checkpoint.read(path: checkpoint).epoch == 1)
    }

    /// A symbolic link planted at the name a checkpoint's temporary file used to get
    /// (`.checkpoint.h5.tmp-<pid>`) is not followed: its target outside the run folder stays.
    @Test func aLinkPlantedAtATemporaryNameIsNotWrittenThrough() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (runFolder, victim) = try emptyRunFolderAndAFileOutsideIt(folder)
        for name in ["checkpoint.h5", "config.yaml", "metrics.csv", "features.h5"] {
            try FileManager.default.createSymbolicLink(
                atPath: AtomicFile.temporaryPath(for: runFolder + "/" + name, pid: getpid()), withDestinationPath: victim)
        }
        _ = try quietRun(folder.config(["training.epochs=1", "output.pictures=false"])).run()
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(try Checkpoint.read(path: runFolder + "/checkpoint.h5").epoch == 1)
    }
}
