import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// A checkpoint is checked whole before `resume`, `evaluate`, `features`, `images` and
/// `inspect` use it: damaged counters, values, or a stored config that disagrees with the
/// arrays are refused with an error naming the dataset or attribute, and the file is untouched.
@Suite(.serialized) struct CheckpointTrustTests {
    /// A finished 1-epoch PCD run (240 − 40 rows, batch 10: 20 minibatches an epoch).
    func trainedRun(_ folder: SyntheticIDXFolder, _ extra: [String] = []) throws -> String {
        var run = TrainingRun(config: try folder.config(["training.epochs=1", "training.sampler=pcd", "output.pictures=false"] + extra),
                              log: { _ in })
        run.progress = ProgressLine(enabled: false)
        return try run.run().folder
    }

    /// Rewrites the run's checkpoint with `damage` applied (as a user's tool or a bad disk could).
    func damage(_ runFolder: String, _ change: (inout Checkpoint) -> Void) throws -> Data {
        let path = runFolder + "/checkpoint.h5"
        var checkpoint = try Checkpoint.readContents(path: path)
        change(&checkpoint)
        try checkpoint.write(to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// `rbm resume` refuses (status 2, the argument is not a run it can continue), naming `object`.
    func expectResumeRefused(_ runFolder: String, naming object: String, _ also: String = "",
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: runFolder + "/checkpoint.h5"))
        let (status, output) = try Child(["resume", runFolder, "--epochs", "3", "--quiet"]).finish()
        #expect(status == 1 || status == 2, "\(output)", sourceLocation: sourceLocation)
        #expect(output.contains("not a usable checkpoint") && output.contains(object) && (also.isEmpty || output.contains(also)), "\(output)",
                sourceLocation: sourceLocation)
        #expect(try Data(contentsOf: URL(fileURLWithPath: runFolder + "/checkpoint.h5")) == before, sourceLocation: sourceLocation)
    }

    /// A batch counter past the epoch's minibatches trapped in the epoch loop (SIGILL, exit 132).
    @Test func aBatchPastTheEpochsEndIsRefusedNotATrap() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let run = try trainedRun(folder)
        _ = try damage(run) { $0.batchInEpoch = 25; $0.state.step = 20 + 25 }
        try expectResumeRefused(run, naming: "attribute batch", "an epoch of \(folder.dataPath) has 20 minibatch(es)")
    }

    /// A negative epoch trained more epochs than asked and exited 0; a negative step ran.
    @Test func negativeCountersAreRefused() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let run = try trainedRun(folder)
        let intact = try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoint.h5"))
        _ = try damage(run) { $0.epoch = -4 }
        try expectResumeRefused(run, naming: "attribute epoch: is -4")
        try intact.write(to: URL(fileURLWithPath: run + "/checkpoint.h5"))
        _ = try damage(run) { $0.state.step = -1 }
        try expectResumeRefused(run, naming: "attribute step: is -1")
        // A step that the epochs done could not have produced (the data changed?).
        try intact.write(to: URL(fileURLWithPath: run + "/checkpoint.h5"))
        _ = try damage(run) { $0.state.step = 7 }
        try expectResumeRefused(run, naming: "attribute step")
    }

    /// Non-finite or out-of-range values in the chains and the optimizer's attributes.
    @Test func nonFiniteChainsAndOptimizerValuesAreRefused() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let run = try trainedRun(folder)
        let intact = try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoint.h5"))
        _ = try damage(run) { $0.state.chainVisible![7] = .nan }
        try expectResumeRefused(run, naming: "/sampler/persistent_chains: 1 value(s) not finite")
        try intact.write(to: URL(fileURLWithPath: run + "/checkpoint.h5"))
        _ = try damage(run) { $0.state.chainHiddenProbabilities![0] = 4 }
        try expectResumeRefused(run, naming: "/sampler/persistent_hidden_probabilities: holds 4.0")
        try intact.write(to: URL(fileURLWithPath: run + "/checkpoint.h5"))
        _ = try damage(run) { $0.momentum = -2; $0.learningRate = .nan }
        try expectResumeRefused(run, naming: "/optimizer attribute momentum", "/optimizer attribute learning_rate")
    }

    /// A stored config that disagrees with the arrays (8 hidden units stored, 16 in the config)
    /// is refused by every command that reads a checkpoint; `inspect` lists it and exits 1.
    @Test func aStoredConfigThatDisagreesWithTheArraysIsRefusedEverywhere() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let run = try trainedRun(folder)
        let checkpoint = run + "/checkpoint.h5"
        let before = try damage(run) { $0.config = $0.config.replacingOccurrences(of: "hidden: 8", with: "hidden: 16") }
        for arguments in [["evaluate", checkpoint], ["features", checkpoint, "--data", folder.dataPath, "--out", folder.path + "/f.h5"],
                          ["images", checkpoint, "--out", folder.path + "/pictures"]] {
            let (status, output) = try Child(arguments).finish()
            #expect(status == 1, "\(arguments[0]): \(output)")
            #expect(output.contains("\(checkpoint): not a usable checkpoint: /model/weights: has 8 hidden units, but the stored config says model.hidden: 16"),
                    "\(arguments[0]): \(output)")
        }
        try expectResumeRefused(run, naming: "model.hidden: 16")
        let (status, output) = try Child(["inspect", checkpoint]).finish()
        #expect(status == 1, "\(output)")
        #expect(output.contains("NOT USABLE: 1 problem(s):") && output.contains("model.hidden: 16")
                && output.contains("not a usable checkpoint (1 problem(s), listed above)"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/f.h5"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/pictures/filters.png"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == before)
    }

    /// `inspect` exits 0 on an intact checkpoint and 1, listing the problems, on a damaged one.
    @Test func inspectReportsWhatIsWrongAndExitsWithStatusOne() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let run = try trainedRun(folder)
        let (intactStatus, intactOutput) = try Child(["inspect", run + "/checkpoint.h5"]).finish()
        #expect(intactStatus == 0 && !intactOutput.contains("NOT USABLE"), "\(intactOutput)")
        _ = try damage(run) { $0.batchInEpoch = -3; $0.state.model.hiddenBias[1] = .infinity }
        let (status, output) = try Child(["inspect", run + "/checkpoint.h5", "--no-config"]).finish()
        #expect(status == 1, "\(output)")
        #expect(output.contains("NOT USABLE: 2 problem(s):") && output.contains("- attribute batch: is -3")
                && output.contains("- /model/hidden_bias: 1 value(s) not finite"), "\(output)")
    }

    /// A checkpoint that already holds NaN was trained for an epoch, then blamed on the
    /// learning rate and kept as "the last good one". It is refused up front, unchanged.
    @Test func aNonFiniteCheckpointIsRefusedBeforeResumingNotBlamedOnTheLearningRate() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let run = try trainedRun(folder)
        _ = try damage(run) { $0.state.model.weights[5] = .nan }
        try expectResumeRefused(run, naming: "/model/weights: 1 value(s) not finite", "the run that wrote it diverged")
        let metrics = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 2, "no epoch was trained: \(metrics)")
        // The same through `rbm train --resume`, which names the config.
        let config = folder.path + "/again.yaml"
        try ConfigLoader.render(try folder.config(["training.epochs=3", "training.sampler=pcd", "output.pictures=false"]))
            .write(toFile: config, atomically: true, encoding: .utf8)
        let (status, output) = try Child(["train", config, "--resume", "--quiet"]).finish()
        #expect(status == 1 && output.contains("not a usable checkpoint") && !output.contains("training diverged"), "\(output)")
    }
}
