import Foundation
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// The `rbm` tool's one error policy: every failure is printed once, as `error: …` on standard
/// error, and ends the process with the status the error carries (2 for a config or usage
/// problem, 1 for a failed operation).
@Suite struct CommandLineTests {
    func errorLines(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.hasPrefix("error:") }
    }

    @Test func aMissingConfigIsOneErrorLineAndStatus2() throws {
        let (status, output) = try Child(["train", "/no/such/config.yaml"]).finish()
        #expect(status == 2)
        #expect(errorLines(output) == ["error: /no/such/config.yaml: cannot read the config: No such file or directory"])
    }

    /// `--workers` is checked once, where it is parsed, by every command that takes it: 0 or a
    /// word is a usage error (status 64, ArgumentParser's) naming the option, never clamped.
    @Test func workersBelowOneAreRefusedByEveryCommand() throws {
        for command in [["train", "x.yaml"], ["resume", "runs/x"], ["evaluate", "x.h5"], ["features", "x.h5", "--data", "d"],
                        ["images", "x.h5"], ["reproduce"], ["bench"]] {
            for value in ["0", "-2", "two"] {
                let (status, output) = try Child(command + ["--workers=\(value)"]).finish()
                #expect(status == 64, "\(command[0]) --workers \(value): \(output)")
                #expect(output.contains("--workers takes a whole number of threads, 1 or more (got '\(value)')"), "\(command[0]): \(output)")
            }
        }
    }

    /// `rbm bench` checks its layout with the rule book training uses, naming its own options.
    @Test func benchOptionsAreCheckedByTheTrainersRuleBook() throws {
        let (status, output) = try Child(["bench", "--visible-blocks", "2", "--shards", "2"]).finish()
        #expect(status == 64 && output.contains("--visible-blocks: training.visible_blocks splits one shard"), "\(output)")
        let (blocksStatus, blocksOutput) = try Child(["bench", "--hidden", "64", "--hidden-blocks", "3"]).finish()
        #expect(blocksStatus == 64 && blocksOutput.contains("--hidden-blocks: 3 hidden blocks cannot split 64 hidden units"), "\(blocksOutput)")
    }

    @Test func aMisspeltOverrideIsAUsageErrorNamingTheKey() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = folder.path + "/tiny.yaml"
        try ConfigLoader.render(try folder.config()).write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try Child(["train", path, "--set", "training.learnin_rate=0.1"]).finish()
        #expect(status == 2)
        #expect(errorLines(output).count == 1)
        #expect(output.contains("training.learnin_rate") && output.contains("did you mean 'training.learning_rate'"))
    }

    @Test func evaluateRefusesAnUnknownSplitWithStatus2AndAMissingCheckpointWith1() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(["training.epochs=1", "output.features=false",
                                                         "output.pictures=false"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        let result = try run.run()
        let checkpoint = RunFolder(path: result.folder).checkpoint

        let (badSplit, badSplitOutput) = try Child(["evaluate", checkpoint, "--split", "everything"]).finish()
        #expect(badSplit == 2)
        #expect(errorLines(badSplitOutput) == ["error: --split must be train, validation or test"])

        let (missing, missingOutput) = try Child(["evaluate", folder.path + "/absent.h5"]).finish()
        #expect(missing == 1)
        #expect(errorLines(missingOutput).count == 1 && missingOutput.contains("absent.h5: cannot open"))
    }

    /// `rbm evaluate --json` prints one JSON object and nothing else: the same log Z as the
    /// model's exact value, and the log-likelihood −mean F(v) − log Z.
    @Test func evaluateJSONIsOneObjectWithTheExactLogZ() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(["training.epochs=1", "model.hidden=8", "output.features=false",
                                                         "output.pictures=false"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        let result = try run.run()
        let checkpoint = RunFolder(path: result.folder).checkpoint
        let (status, output) = try Child(["evaluate", checkpoint, "--json", "--samples", "30"]).finish()
        #expect(status == 0, "\(output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let logZ = try #require(object["log_z"] as? Double)
        #expect(abs(logZ - result.model.exactLogPartitionFunction()) < 1e-6 * max(1, abs(logZ)))
        #expect(object["log_z_method"] as? String == "exact" && object["samples"] as? Int == 30)
        #expect(object["log_z_lower"] is NSNull && object["visible_units"] as? String == "bernoulli")
        let meanFreeEnergy = try #require(object["mean_free_energy"] as? Double)
        #expect(abs((object["average_log_likelihood"] as? Double ?? .nan) - (-meanFreeEnergy - logZ)) < 1e-9 * abs(logZ))
    }

    @Test func theArgumentParserStillHandlesItsOwnErrors() throws {
        let (status, output) = try Child(["train"]).finish()
        #expect(status == 64, "swift-argument-parser's usage error status")
        #expect(output.contains("Missing expected argument"))
    }
}

/// `RunFolder` is the one place the layout of a run is spelled out.
@Suite struct RunFolderTests {
    @Test func pathsNameAndParent() {
        let folder = RunFolder(path: "runs/default/")
        #expect(folder.path == "runs/default")
        #expect(folder.name == "default" && folder.parent == "runs")
        #expect(folder.checkpoint == "runs/default/checkpoint.h5")
        #expect(folder.metrics == "runs/default/metrics.csv" && folder.config == "runs/default/config.yaml")
        #expect(RunFolder(path: "alone").parent == ".")
        #expect(RunFolder(path: "/top").parent == "/")
        #expect(RunFolder(holding: "/data/runs/x/checkpoint.h5") == RunFolder(path: "/data/runs/x"))
        #expect(RunFolder(holding: "checkpoint.h5").path == ".")
    }

    @Test func aTrainingRunWritesWhereItsRunFolderSays() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var run = TrainingRun(config: try folder.config(["training.epochs=1", "output.pictures=false"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        _ = try run.run()
        let runFolder = RunFolder(parent: folder.path + "/runs", name: "tiny")
        for file in [runFolder.config, runFolder.metrics, runFolder.checkpoint, runFolder.features] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file)")
        }
    }
}

/// `Metric` is the one list of per-epoch quantities: the CSV header, the checkpoint history and
/// the sweep's ranking read it, and a metrics line has one field per name.
@Suite struct MetricListTests {
    @Test func csvHistoryAndSweepAgreeOnTheNames() {
        let metrics = EpochMetrics(epoch: 3, reconstructionError: 1.5, validationReconstructionError: nil,
                                   freeEnergyTrain: -2, freeEnergyValidation: -1, learningRate: 0.1, momentum: 0.5,
                                   samplesPerSecond: 1000, seconds: 2, logLikelihood: -90)
        let header = EpochMetrics.csvHeader.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header == Metric.allCases.map(\.rawValue))
        let fields = metrics.csvLine.split(separator: ",", omittingEmptySubsequences: false)
        #expect(fields.count == header.count)
        #expect(fields[header.firstIndex(of: "epoch")!] == "3")
        #expect(fields[header.firstIndex(of: "free_energy_gap")!] == "1.0")
        #expect(fields[header.firstIndex(of: "validation_reconstruction_error")!] == "")
        let history = EpochMetrics.history([metrics])
        #expect(history.columns.map(\.name) == header)
        #expect(EpochMetrics.metrics(from: history) == [metrics])
        #expect(Metric.rankable.allSatisfy { header.contains($0.rawValue) })
    }
}
