import Foundation
import Testing
import RBM
import RBMStore
@testable import RBMExperiments

/// Writes a sweep file whose base is the synthetic folder's tiny config.
func writeSweep(_ folder: SyntheticIDXFolder, name: String = "tiny-sweep", body: String) throws -> String {
    let base = folder.path + "/base.yaml"
    try ConfigLoader.render(try folder.config(["training.epochs=3", "output.features=false", "output.pictures=false"]))
        .write(toFile: base, atomically: true, encoding: .utf8)
    let path = folder.path + "/\(name).yaml"
    try ("base: base.yaml\noutput:\n  folder: \"\(folder.path)/sweeps\"\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite struct SweepSpecTests {
    @Test func gridExpandsToTheCartesianProductLastKeyFastest() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, body: "grid:\n  training.learning_rate: [0.1, 0.2]\n  model.hidden: [4, 8, 16]\n")
        let spec = try SweepLoader.load(path: path).spec
        let points = spec.points
        #expect(points.count == 6)
        #expect(points.map { $0.values.map(\.value) } == [["0.1", "4"], ["0.1", "8"], ["0.1", "16"], ["0.2", "4"], ["0.2", "8"], ["0.2", "16"]])
        #expect(points[0].id == "1_learning_rate-0.1_hidden-4")
        let config = try spec.config(for: points[5], outputRoot: "/out")
        #expect(config.training.learningRate == 0.2 && config.model.hidden == 16)
        #expect(config.output.folder == "/out/tiny-sweep" && config.output.name == points[5].id)
    }

    @Test func randomSamplesAreDeterministicAndInRange() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let body = """
            random:
              samples: 20
              seed: 7
              parameters:
                training.learning_rate: { log_uniform: [0.001, 0.1] }
                training.momentum: { uniform: [0.0, 0.9] }
                model.hidden: { choice: [4, 8, 16] }
            """
        let path = try writeSweep(folder, body: body)
        let first = try SweepLoader.load(path: path).spec.points
        let again = try SweepLoader.load(path: path).spec.points
        #expect(first == again && first.count == 20)
        for point in first {
            let lr = Double(point.values[0].value)!, momentum = Double(point.values[1].value)!
            #expect(lr >= 0.001 && lr <= 0.1 && momentum >= 0 && momentum <= 0.9)
            #expect(["4", "8", "16"].contains(point.values[2].value))
        }
        #expect(Set(first.map { $0.values[2].value }).count == 3, "all choices should appear in 20 samples")
        // Another seed gives other samples.
        try (try String(contentsOfFile: path, encoding: .utf8)).replacingOccurrences(of: "seed: 7", with: "seed: 8")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SweepLoader.load(path: path).spec.points != first)
    }

    func loadError(_ body: String) throws -> ConfigError? {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, name: "bad", body: body)
        do { _ = try SweepLoader.load(path: path); return nil } catch { return error }
    }

    @Test func sweepFileIsValidatedBeforeAnythingRuns() throws {
        guard case let .unknownKey(location, suggestion, _) = try loadError("gird:\n  model.hidden: [4]\n") else { Issue.record("gird"); return }
        #expect(location.keyPath == "gird" && suggestion == "grid" && location.file.hasSuffix("bad.yaml"))

        guard case let .unknownKey(keyLocation, keySuggestion, _) = try loadError("grid:\n  model.hiden: [4]\n") else { Issue.record("hiden"); return }
        #expect(keyLocation.keyPath == "grid.model.hiden" && keySuggestion == "model.hidden")

        guard case let .wrongType(typeLocation, _, found) = try loadError("grid:\n  model.hidden: [4, many]\n") else { Issue.record("type"); return }
        #expect(typeLocation.keyPath == "grid.model.hidden" && typeLocation.line == 5 && found == "'many'")

        guard case .outOfRange = try loadError("grid:\n  training.learning_rate: [0.1, -1]\n") else { Issue.record("range"); return }
        guard case .inconsistent = try loadError("grid:\n  model.hidden: []\n") else { Issue.record("empty list"); return }
        guard case .inconsistent = try loadError("grid: {}\n") else { Issue.record("empty grid"); return }
        guard case .inconsistent = try loadError("grid:\n  model.hidden: [4]\nrandom:\n  samples: 2\n") else { Issue.record("both"); return }
        guard case .outOfRange = try loadError("grid:\n  model.hidden: [4]\nmetric: accuracy\n") else { Issue.record("metric"); return }
        guard case .outOfRange = try loadError("random:\n  samples: 3\n  parameters:\n    training.learning_rate: { log_uniform: [0, 1] }\n") else {
            Issue.record("log_uniform from 0"); return
        }
        guard case .inconsistent = try loadError("grid:\n  training.batch_size: [2]\nset:\n  training.shards: 3\n") else {
            Issue.record("a point with more shards than rows"); return
        }
    }
}

@Suite(.serialized) struct SweepRunTests {
    func runner(_ path: String, stop: (() -> Int32?)? = nil) throws -> SweepRunner {
        let loaded = try SweepLoader.load(path: path)
        var runner = SweepRunner(spec: loaded.spec, outputRoot: loaded.outputRoot)
        runner.log = { _ in }
        runner.progress = ProgressLine(enabled: false)
        if let stop { runner.stopRequest = stop }
        return runner
    }

    @Test func failingRunIsRecordedAndTheOthersStillRun() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, body: """
            set:
              model.weight_std: 10
            grid:
              training.learning_rate: [0.05, 1000000, 0.1]
            metric: reconstruction_error
            """)
        let runner = try runner(path)
        let outcomes = try runner.run()
        #expect(outcomes.count == 3)
        let failed = outcomes.filter { $0.status == .failed }
        #expect(failed.count == 1 && failed[0].point.values[0].value == "1000000")
        #expect(failed[0].error?.contains("diverged") == true)
        #expect(outcomes.last?.status == .failed, "failed runs rank last")
        let csv = try String(contentsOfFile: runner.folder + "/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 4 && csv[0].hasPrefix("rank,id,status,training.learning_rate,reconstruction_error"))
        #expect(csv[3].contains("failed") && csv[3].contains("diverged"))
    }

    @Test func resultsAreRankedByTheMetricInTheCSV() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, body: "grid:\n  training.learning_rate: [0.01, 0.2]\n  model.hidden: [2, 8]\nmetric: reconstruction_error\n")
        let runner = try runner(path)
        let outcomes = try runner.run()
        let values = outcomes.compactMap { $0.value(of: .reconstructionError) }
        #expect(values.count == 4 && values == values.sorted())
        let rows = try String(contentsOfFile: runner.folder + "/results.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        for (rank, row) in rows.enumerated() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields[0] == Substring(String(rank + 1)) && fields[1] == Substring(outcomes[rank].point.id))
            #expect(fields[3] == Substring(outcomes[rank].point.values[0].value) && fields[4] == Substring(outcomes[rank].point.values[1].value))
            #expect(Double(fields[5]) == outcomes[rank].value(of: .reconstructionError))
        }
        let html = try String(contentsOfFile: runner.folder + "/report.html", encoding: .utf8)
        #expect(html.contains(outcomes[0].point.id))
    }

    @Test func rerunningSkipsFinishedRunsAndContinuesTheInterruptedOne() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let path = try writeSweep(folder, body: "grid:\n  training.learning_rate: [0.05, 0.1, 0.2]\nmetric: reconstruction_error\n")
        // Reference: the whole sweep without interruption, in another output folder.
        let referencePath = try writeSweep(folder, name: "reference", body: "grid:\n  training.learning_rate: [0.05, 0.1, 0.2]\nmetric: reconstruction_error\n")
        let reference = try runner(referencePath).run()

        // Stop during the second run (20 batches per epoch, 3 epochs per run).
        var batches = 0
        let stopping = try runner(path) {
            batches += 1
            return batches == 60 + 25 ? SIGINT : nil
        }
        #expect(throws: TrainingError.self) { try stopping.run() }
        let partial = try String(contentsOfFile: stopping.folder + "/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(partial.count == 2, "one finished run recorded before the interruption")

        let outcomes = try runner(path).run()
        #expect(outcomes.map(\.status).filter { $0 == .skipped }.count == 1)
        #expect(outcomes.count == 3 && outcomes.allSatisfy { $0.status != .failed })
        // The interrupted run continued from its checkpoint and ends exactly where the
        // uninterrupted one did.
        for outcome in outcomes {
            let twin = try #require(reference.first { $0.point.values[0].value == outcome.point.values[0].value })
            // (A skipped run's metrics come back from the checkpoint's float32 history.)
            let value = try #require(outcome.value(of: .reconstructionError))
            let twinValue = try #require(twin.value(of: .reconstructionError))
            #expect(abs(value - twinValue) <= 1e-6 * abs(twinValue))
            let a = try Checkpoint.read(path: "\(folder.path)/sweeps/tiny-sweep/\(outcome.point.id)/checkpoint.h5")
            let b = try Checkpoint.read(path: "\(folder.path)/sweeps/reference/\(twin.point.id)/checkpoint.h5")
            #expect(a.state == b.state)
        }
    }
}
