import Foundation
import Testing
import RBM
import RBMStore
@testable import RBMExperiments

@Suite(.serialized) struct ResumeTests {
    func quiet(_ config: ExperimentConfig, resume: Bool = false) -> TrainingRun {
        TrainingRun(config: config, resume: resume, log: { _ in }, progress: ProgressLine(enabled: false))
    }

    /// N epochs straight versus N − k, stop, resume for k: the same bits.
    @Test(arguments: [SamplerKind.persistentContrastiveDivergence, .contrastiveDivergence])
    func stoppingAndResumingGivesBitIdenticalWeights(sampler: SamplerKind) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=\(sampler.rawValue)", "training.epochs=7"]
        let straight = try quiet(folder.config(common + ["output.name=straight"])).run()
        _ = try quiet(folder.config(common + ["output.name=stopped", "training.epochs=4"])).run()
        let resumed = try quiet(folder.config(common + ["output.name=stopped"]), resume: true).run()
        #expect(resumed.model == straight.model)
        let checkpointA = try Checkpoint.read(path: straight.folder + "/checkpoint.h5")
        let checkpointB = try Checkpoint.read(path: resumed.folder + "/checkpoint.h5")
        #expect(checkpointA.state == checkpointB.state && checkpointB.epoch == 7)
        #expect(resumed.history.count == 7)
        #expect(resumed.history.map(\.reconstructionError).suffix(3) == straight.history.map(\.reconstructionError).suffix(3))
    }

    /// Ctrl-C in the middle of an epoch (with a decaying learning rate) checkpoints the state
    /// after that minibatch; resuming finishes exactly as if nothing had happened.
    @Test func interruptedMidEpochResumesBitIdentically() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=pcd", "training.learning_rate_decay=linear", "training.epochs=5"]
        let straight = try quiet(folder.config(common + ["output.name=straight"])).run()
        var interrupted = quiet(try folder.config(common + ["output.name=cut"]))
        let signal = SignalBox()
        interrupted.afterBatch = { epoch, batch in if epoch == 2 && batch == 7 { signal.value = SIGINT } }
        interrupted.stopRequest = { signal.value }
        #expect(throws: TrainingError.self) { try interrupted.run() }
        let checkpoint = try Checkpoint.read(path: interrupted.checkpointPath)
        #expect(checkpoint.epoch == 2 && checkpoint.batchInEpoch == 7)
        let resumed = try quiet(folder.config(common + ["output.name=cut"]), resume: true).run()
        #expect(resumed.model == straight.model)
        let metricsLines = try String(contentsOfFile: resumed.folder + "/metrics.csv", encoding: .utf8)
            .split(separator: "\n").count
        #expect(metricsLines == 6)
    }

    /// Ctrl-C during an epoch's last minibatch stops at the epoch's end: the checkpoint holds
    /// the whole epoch (batch 0 of the next, never batch = batches, which resume would refuse),
    /// metrics.csv has its line, and resuming finishes as if nothing had happened.
    @Test func interruptedOnAnEpochsLastMinibatchCheckpointsTheWholeEpoch() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=pcd", "training.learning_rate_decay=linear", "training.epochs=5"]
        let straight = try quiet(folder.config(common + ["output.name=straight"])).run()
        var interrupted = quiet(try folder.config(common + ["output.name=cut"]))
        let signal = SignalBox()
        let batchesPerEpoch = 200 / 10  // 240 synthetic rows less 40 for validation, batches of 10
        interrupted.afterBatch = { epoch, batch in if epoch == 2 && batch == batchesPerEpoch { signal.value = SIGTERM } }
        interrupted.stopRequest = { signal.value }
        #expect {
            try interrupted.run()
        } throws: { error in
            guard case let .interrupted(stoppedBy, completedEpochs, _) = error as? TrainingError else { return false }
            return stoppedBy == SIGTERM && completedEpochs == 3
        }
        let checkpoint = try Checkpoint.read(path: interrupted.checkpointPath)
        #expect(checkpoint.epoch == 3 && checkpoint.batchInEpoch == 0)
        #expect(checkpoint.history.epochCount == 3)
        let metricsLines = { (folder: String) in
            try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8).split(separator: "\n").count
        }
        #expect(try metricsLines(interrupted.runFolder) == 4)
        let resumed = try quiet(folder.config(common + ["output.name=cut"]), resume: true).run()
        #expect(resumed.model == straight.model)
        #expect(try metricsLines(resumed.folder) == 6)
    }

    /// Versions before 2026-12-07 wrote batch = batches when a signal came during an epoch's
    /// last minibatch, without the epoch's measurements. Such a checkpoint resumes: no update
    /// for that epoch, its metrics line, then the rest, to the same weights as a straight run.
    @Test func aCheckpointAtTheEndOfAnUnmeasuredEpochResumesBitIdentically() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=pcd", "training.learning_rate_decay=linear", "training.epochs=5"]
        let straight = try quiet(folder.config(common + ["output.name=straight"])).run()
        var cut = quiet(try folder.config(common + ["output.name=cut"]))
        let signal = SignalBox()
        cut.afterBatch = { epoch, batch in if epoch == 2 && batch == 20 { signal.value = SIGINT } }
        cut.stopRequest = { signal.value }
        #expect(throws: TrainingError.self) { try cut.run() }
        // Rewrite the checkpoint after 3 epochs as the old versions would have left it.
        var checkpoint = try Checkpoint.readContents(path: cut.checkpointPath)
        checkpoint.epoch = 2
        checkpoint.batchInEpoch = 20
        checkpoint.history = checkpoint.history.prefix(2)
        try checkpoint.write(to: cut.checkpointPath)
        let metrics = try String(contentsOfFile: cut.runFolder + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        try (metrics.prefix(3).joined(separator: "\n") + "\n").write(toFile: cut.runFolder + "/metrics.csv", atomically: true, encoding: .utf8)

        let resumed = try quiet(folder.config(common + ["output.name=cut"]), resume: true).run()
        #expect(resumed.model == straight.model)
        #expect(resumed.history.count == 5)
        let lines = try String(contentsOfFile: resumed.folder + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.dropFirst(3).first?.hasPrefix("3,") == true, "epoch 3's line comes back: \(lines)")
    }

    @Test func resumeRefusesAChangedConfigAndNamesTheKey() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        _ = try quiet(folder.config(["training.epochs=2"])).run()
        #expect {
            try quiet(folder.config(["training.epochs=3", "training.learning_rate=0.05"]), resume: true).run()
        } throws: { error in
            "\(error)".contains("training.learning_rate") && "\(error)".contains("checkpoint.h5")
        }
    }

    @Test func resumeWithoutCheckpointIsAClearError() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        #expect {
            try quiet(folder.config(), resume: true).run()
        } throws: { error in "\(error)".contains("no checkpoint to resume from") }
    }

    @Test func featuresFileHoldsHiddenProbabilitiesOfEverySplitWithLabels() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let result = try quiet(folder.config(["training.epochs=2"])).run()
        let file = try HDF5File.openReadOnly(path: result.folder + "/features.h5")
        #expect(try file.stringAttribute("format") == "rbm-features")
        #expect(try file.stringAttribute("checkpoint_sha256") == SHA256.hex(ofFile: result.folder + "/checkpoint.h5"))
        let train = try file.readFloats("/train/features")
        #expect(train.shape == [200, 8])
        #expect(file.shape(of: "/validation/features") == [40, 8] && file.shape(of: "/test/features") == [40, 8])
        // Rows are P(h|v) of the pixel intensities, in the data's order, with their labels.
        let splits = try IDXFolderForTests.load(folder.dataPath, validation: 40)
        let trainSplit = try splits.train.firstRows(.max)
        let expected = result.model.hiddenProbabilities(visible: trainSplit.values, rows: 200)
        #expect(zip(train.values, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(try file.readInt32s("/train/labels").values == trainSplit.labels!)
    }

    @Test func checkpointWithOtherVisibleCountIsRefusedWhenResuming() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let result = try quiet(folder.config(["training.epochs=1"])).run()
        // Replace the checkpoint by one whose model has 10 visible units, consistent in itself
        // and with its stored config (same hidden units, sampler and chains per minibatch).
        var checkpoint = try Checkpoint.read(path: result.folder + "/checkpoint.h5")
        let nh = checkpoint.model.hiddenCount
        let chains = (checkpoint.state.chainVisible?.count ?? 0) / checkpoint.model.visibleCount
        let small = RBMModel(visibleCount: 10, hiddenCount: nh, weights: .init(repeating: 0, count: 10 * nh),
                             visibleBias: .init(repeating: 0, count: 10), hiddenBias: .init(repeating: 0, count: nh))
        let step = checkpoint.state.step
        checkpoint.state = TrainerState(model: small, weightVelocity: .init(repeating: 0, count: 10 * nh),
                                        visibleBiasVelocity: .init(repeating: 0, count: 10),
                                        hiddenBiasVelocity: .init(repeating: 0, count: nh), step: step,
                                        chainVisible: .init(repeating: 0, count: chains * 10),
                                        chainHiddenProbabilities: .init(repeating: 0, count: chains * nh))
        checkpoint.imageShape = nil
        try checkpoint.write(to: result.folder + "/checkpoint.h5")
        #expect {
            try quiet(folder.config(["training.epochs=2"]), resume: true).run()
        } throws: { error in "\(error)".contains("10 visible units") && "\(error)".contains("36 features") }
    }
}

/// A signal number a test sets from a callback, in place of the process-wide flag.
final class SignalBox: @unchecked Sendable {
    var value: Int32?
}
