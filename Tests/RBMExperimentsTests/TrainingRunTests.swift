import CZlib
import Foundation
import Testing
import RBM
import RBMStore
@testable import RBMExperiments

/// A small MNIST-layout folder with structured 6×6 images (bars), in a temporary folder.
struct SyntheticIDXFolder {
    let path: String

    init(trainCount: Int = 240, testCount: Int = 40) {
        path = NSTemporaryDirectory() + "rbm-run-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path + "/data", withIntermediateDirectories: true)
        write(prefix: "train", count: trainCount)
        write(prefix: "t10k", count: testCount)
    }

    var dataPath: String { path + "/data" }

    func write(prefix: String, count: Int) {
        var images: [UInt8] = [0, 0, 8, 3] + bigEndian(count) + bigEndian(6) + bigEndian(6)
        var labels: [UInt8] = [0, 0, 8, 1] + bigEndian(count)
        for sample in 0..<count {
            let bar = sample % 6, horizontal = sample % 12 < 6
            for r in 0..<6 {
                for c in 0..<6 {
                    let on = horizontal ? r == bar : c == bar
                    images.append(on ? 250 : 10)
                }
            }
            labels.append(UInt8(sample % 12))
        }
        save(images, "\(prefix)-images-idx3-ubyte.gz")
        save(labels, "\(prefix)-labels-idx1-ubyte.gz")
    }

    func save(_ bytes: [UInt8], _ name: String) {
        let handle = gzopen(dataPath + "/" + name, "wb")!
        _ = bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32(bytes.count)) }
        gzclose(handle)
    }

    func bigEndian(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    func config(_ extra: [String] = []) throws -> ExperimentConfig {
        try ConfigLoader.parse("""
            data:
              path: "\(dataPath)"
              validation: 40
            model:
              hidden: 8
            training:
              sampler: cd
              epochs: 12
              batch_size: 10
              shards: 3
              workers: 2
              learning_rate: 0.2
              momentum_switch_epoch: 2
            evaluation:
              monitor_samples: 100
            output:
              folder: "\(path)/runs"
              name: tiny
            """, file: "tiny.yaml", overrides: extra)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite(.serialized) struct TrainingRunTests {
    @Test func runWritesConfigAndOneMetricsLinePerEpochAndLearns() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var lines: [String] = []
        let run = TrainingRun(config: try folder.config(), log: { lines.append($0) },
                              progress: ProgressLine(enabled: false))
        let result = try run.run()
        #expect(result.history.count == 12)
        let metrics = try String(contentsOfFile: result.folder + "/metrics.csv", encoding: .utf8)
            .split(separator: "\n")
        #expect(metrics.count == 13 && metrics[0] == Substring(EpochMetrics.csvHeader))
        let saved = try ConfigLoader.load(path: result.folder + "/config.yaml")
        #expect(saved.model.hidden == 8 && saved.training.shards == 3 && saved.output.name == "tiny")
        #expect(lines.filter { $0.hasPrefix("epoch") }.count == 12)
        // Bars are easy: the reconstruction error must fall well below its first value.
        #expect(result.history.last!.reconstructionError < 0.7 * result.history.first!.reconstructionError)
        #expect(result.history.allSatisfy { $0.freeEnergyValidation != nil })
    }

    @Test func sameConfigGivesTheSameModelWhateverTheWorkerCount() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let one = try TrainingRun(config: try folder.config(["training.workers=1", "output.name=one"]),
                                  log: { _ in }, progress: ProgressLine(enabled: false)).run()
        let three = try TrainingRun(config: try folder.config(["training.workers=3", "output.name=three"]),
                                    log: { _ in }, progress: ProgressLine(enabled: false)).run()
        #expect(one.model == three.model)
        #expect(one.history.map(\.reconstructionError) == three.history.map(\.reconstructionError))
    }

    @Test func interruptionStopsAfterTheCurrentBatchAndKeepsTheMetrics() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(), log: { _ in }, progress: ProgressLine(enabled: false))
        run.stopRequest = { SIGINT }
        #expect {
            try run.run()
        } throws: { error in
            guard let error = error as? TrainingError, case let .interrupted(signal, epochs, _) = error else { return false }
            return signal == SIGINT && epochs == 0 && error.exitStatus == 130
        }
        #expect(FileManager.default.fileExists(atPath: folder.path + "/runs/tiny/metrics.csv"))
        let checkpoint = try Checkpoint.read(path: folder.path + "/runs/tiny/checkpoint.h5")
        #expect(checkpoint.epoch == 0 && checkpoint.batchInEpoch == 1 && checkpoint.state.step == 1)
    }

    @Test func hugeLearningRateIsReportedAsDivergence() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.learning_rate=1000000", "model.weight_std=10",
                                        "training.final_momentum=0.99"])
        #expect {
            try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()
        } throws: { error in
            guard let error = error as? TrainingError, case .diverged = error else { return false }
            return "\(error)".contains("learning_rate")
        }
    }

    @Test func missingDataFolderIsAClearError() throws {
        var config = ExperimentConfig()
        config.data.path = "/nonexistent/mnist"
        config.output.folder = NSTemporaryDirectory() + "rbm-none"
        config.output.name = "x"
        #expect {
            try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()
        } throws: { error in
            "\(error)".contains("/nonexistent/mnist") && "\(error)".contains("train-images-idx3-ubyte")
        }
    }
}

import RBMData

enum IDXFolderForTests {
    static func load(_ folder: String, validation: Int) throws -> DatasetSplits {
        try IDXFolder.load(folder: folder, validationCount: validation)
    }
}

@Suite struct PeriodicEvaluationTests {
    @Test func periodicEvaluationRecordsTheExactLogLikelihoodInMetricsAndCheckpoint() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.epochs=4", "evaluation.every=2", "evaluation.split=test"])
        let result = try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()
        #expect(result.history.map { $0.logLikelihood != nil } == [false, true, false, true])
        // The recorded value is mean log p(v) over the test split, binarized with the
        // evaluation stream, with log Z by enumeration: recompute it independently.
        let splits = try IDXFolderForTests.load(folder.dataPath, validation: 40)
        let test = try #require(splits.test).firstRows(.max)
        let visible = config.data.binarization.evaluationValues(of: test, seed: config.training.seed)
        let expected = result.model.averageLogLikelihood(
            visible: visible, rows: test.count, logPartitionFunction: result.model.exactLogPartitionFunction())
        let recorded = try #require(result.history.last?.logLikelihood)
        #expect(abs(recorded - expected) < 1e-9)
        #expect(result.history.last?.pseudoLikelihood != nil)
        let checkpoint = try Checkpoint.read(path: result.folder + "/checkpoint.h5")
        let column = try #require(checkpoint.history["log_likelihood"])
        #expect(column.count == 4 && column[0].isNaN && abs(column[3] - expected) < 1e-4)
        let csv = try String(contentsOfFile: result.folder + "/metrics.csv", encoding: .utf8)
        #expect(csv.contains("log_likelihood") && csv.split(separator: "\n").count == 5)
    }

    @Test func evaluationOnAMissingSplitIsRefusedBeforeTraining() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["evaluation.every=1", "data.validation=0", "evaluation.split=validation"])
        #expect {
            try TrainingRun(config: config, log: { _ in }, progress: ProgressLine(enabled: false)).run()
        } throws: { error in "\(error)".contains("no validation split") }
    }
}
