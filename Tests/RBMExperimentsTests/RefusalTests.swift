import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

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
