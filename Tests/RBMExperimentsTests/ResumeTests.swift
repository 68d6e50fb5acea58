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

    /// The settings of the interruption tests: PCD with a decaying learning rate over 5 epochs of
    /// 20 minibatches (240 synthetic rows less 40 for validation, batches of 10).
    static let interruptible = ["training.sampler=pcd", "training.learning_rate_decay=linear", "training.epochs=5"]

    /// The run "straight" to the end, and run "cut" stopped by `signal` after minibatch `batch`
    /// of epoch `epoch` (counted from 0): the straight model, the cut run and what it threw.
    func straightAndCut(_ folder: SyntheticIDXFolder, epoch stopEpoch: Int, batch stopBatch: Int,
                        signal: Int32) throws -> (straight: RBMModel, cut: TrainingRun, thrown: (any Error)?) {
        let straight = try quiet(folder.config(Self.interruptible + ["output.name=straight"])).run()
        var cut = quiet(try folder.config(Self.interruptible + ["output.name=cut"]))
        let box = SignalBox()
        cut.afterBatch = { epoch, batch in if epoch == stopEpoch && batch == stopBatch { box.value = signal } }
        cut.stopRequest = { box.value }
        do { _ = try cut.run() } catch { return (straight.model, cut, error) }
        return (straight.model, cut, nil)
    }

    /// The cut run resumed to the end.
    func resumeCut(_ folder: SyntheticIDXFolder) throws -> RunResult {
        try quiet(folder.config(Self.interruptible + ["output.name=cut"]), resume: true).run()
    }

    func metricsLines(_ runFolder: String) throws -> [Substring] {
        try String(contentsOfFile: runFolder + "/metrics.csv", encoding: .utf8).split(separator: "\n")
    }

    /// Ctrl-C in the middle of an epoch (with a decaying learning rate) checkpoints the state
    /// after that minibatch; resuming finishes exactly as if nothing had happened.
    @Test func interruptedMidEpochResumesBitIdentically() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (straight, cut, thrown) = try straightAndCut(folder, epoch: 2, batch: 7, signal: SIGINT)
        #expect(thrown is TrainingError)
        let checkpoint = try Checkpoint.read(path: cut.checkpointPath)
        #expect(checkpoint.epoch == 2 && checkpoint.batchInEpoch == 7)
        let resumed = try resumeCut(folder)
        #expect(resumed.model == straight)
        #expect(try metricsLines(resumed.folder).count == 6)
    }

    /// Ctrl-C during an epoch's last minibatch stops at the epoch's end: the checkpoint holds
    /// the whole epoch (batch 0 of the next, never batch = batches, which resume would refuse),
    /// metrics.csv has its line, and resuming finishes as if nothing had happened.
    @Test func interruptedOnAnEpochsLastMinibatchCheckpointsTheWholeEpoch() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (straight, cut, thrown) = try straightAndCut(folder, epoch: 2, batch: 20, signal: SIGTERM)
        guard case let .interrupted(stoppedBy, completedEpochs, _)? = thrown as? TrainingError else {
            Issue.record("expected an interruption, got \(String(describing: thrown))")
            return
        }
        #expect(stoppedBy == SIGTERM && completedEpochs == 3)
        let checkpoint = try Checkpoint.read(path: cut.checkpointPath)
        #expect(checkpoint.epoch == 3 && checkpoint.batchInEpoch == 0)
        #expect(checkpoint.history.epochCount == 3)
        #expect(try metricsLines(cut.runFolder).count == 4)
        let resumed = try resumeCut(folder)
        #expect(resumed.model == straight)
        #expect(try metricsLines(resumed.folder).count == 6)
    }

    /// Versions before 2026-12-07 wrote batch = batches when a signal came during an epoch's
    /// last minibatch, without the epoch's measurements. Such a checkpoint resumes: no update
    /// for that epoch, its metrics line, then the rest, to the same weights as a straight run.
    @Test func aCheckpointAtTheEndOfAnUnmeasuredEpochResumesBitIdentically() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (straight, cut, thrown) = try straightAndCut(folder, epoch: 2, batch: 20, signal: SIGINT)
        #expect(thrown is TrainingError)
        // Rewrite the checkpoint after 3 epochs as the old versions would have left it.
        var checkpoint = try Checkpoint.readContents(path: cut.checkpointPath)
        checkpoint.epoch = 2
        checkpoint.batchInEpoch = 20
        checkpoint.history = checkpoint.history.prefix(2)
        try checkpoint.write(to: cut.checkpointPath)
        let metrics = try metricsLines(cut.runFolder)
        try (metrics.prefix(3).joined(separator: "\n") + "\n").write(toFile: cut.runFolder + "/metrics.csv", atomically: true, encoding: .utf8)

        let resumed = try resumeCut(folder)
        #expect(resumed.model == straight)
        #expect(resumed.history.count == 5)
        let lines = try metricsLines(resumed.folder)
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
