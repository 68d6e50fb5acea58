import Foundation
import Testing
import RBM
@testable import RBMStore

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "rbm-store-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func sampleCheckpoint(persistent: Bool = true) -> Checkpoint {
    let nv = 7, nh = 3, chains = 4
    let values = { (count: Int, scale: Float) in (0..<count).map { Float($0 % 11) * scale - 0.25 } }
    let model = RBMModel(visibleCount: nv, hiddenCount: nh, weights: values(nv * nh, 0.125),
                             visibleBias: values(nv, 0.5), hiddenBias: values(nh, -0.5))
    let state = TrainerState(
        model: model, weightVelocity: values(nv * nh, 0.0625), visibleBiasVelocity: values(nv, 0.25),
        hiddenBiasVelocity: values(nh, 0.75), step: 1234,
        // Chains as a sampler leaves them: 0/1 states (one 1 in each row of 7, so that they are
        // one-hot groups for 7-state categorical units too) and probabilities in [0, 1].
        chainVisible: persistent ? (0..<(chains * nv)).map { $0 % nv == $0 / nv % nv ? 1 : 0 } : nil,
        chainHiddenProbabilities: persistent ? (0..<(chains * nh)).map { Float($0 % 5) / 4 } : nil)
    return Checkpoint(
        state: state, sampler: persistent ? .persistentContrastiveDivergence : .contrastiveDivergence,
        config: "training:\n  epochs: 3\n", seed: .max - 5, epoch: 2, batchInEpoch: 17,
        learningRate: 0.0125, momentum: 0.9,
        history: History(columns: [("epoch", [1, 2]), ("reconstruction_error", [10.5, 9.25]),
                                   ("free_energy_validation", [.nan, -3.5])]),
        createdBy: "rbm test")
}

@Suite struct SHA256Tests {
    @Test func matchesTheFIPSTestVectors() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct CheckpointTests {
    @Test(arguments: [true, false])
    func checkpointReadsBackExactlyWhatWasWritten(persistent: Bool) throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = sampleCheckpoint(persistent: persistent)
        try checkpoint.write(to: folder + "/checkpoint.h5")
        let read = try Checkpoint.read(path: folder + "/checkpoint.h5")
        #expect(read.state == checkpoint.state)
        #expect(read.seed == checkpoint.seed && read.epoch == 2 && read.batchInEpoch == 17)
        #expect(read.config == checkpoint.config && read.sampler == checkpoint.sampler)
        #expect(read.learningRate == 0.0125 && read.momentum == 0.9 && read.createdBy == "rbm test")
        #expect(read.history.columns.map(\.name) == ["epoch", "reconstruction_error", "free_energy_validation"])
        #expect(read.history["reconstruction_error"] == [10.5, 9.25])
        #expect(read.history["free_energy_validation"]![0].isNaN)
        // Only the checkpoint is left in the folder: no temporary files.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["checkpoint.h5"])
    }

    @Test func failedWriteLeavesThePreviousCheckpointUntouched() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/checkpoint.h5"
        try sampleCheckpoint().write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A history column HDF5 cannot name fails half-way through building the file.
        var broken = sampleCheckpoint()
        broken.history.columns.append(("", [1, 2]))
        #expect(throws: StoreError.self) { try broken.write(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["checkpoint.h5"])
    }

    @Test func staleTemporaryFromAKilledRunIsCleanedUp() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // pid 2^22 + 1 is above Linux's pid_max default: no such process.
        let stale = folder + "/.checkpoint.h5.tmp-4194305"
        FileManager.default.createFile(atPath: stale, contents: Data([1, 2, 3]))
        try sampleCheckpoint().write(to: folder + "/checkpoint.h5")
        #expect(!FileManager.default.fileExists(atPath: stale))
    }

    @Test func fileThatIsNotHDF5IsNamedAsSuch() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/fake.h5"
        FileManager.default.createFile(atPath: path, contents: Data("not hdf5 at all".utf8))
        #expect(throws: StoreError.notHDF5(path: path)) { try Checkpoint.read(path: path) }
        #expect(throws: StoreError.cannotOpen(path: folder + "/absent.h5")) { try Checkpoint.read(path: folder + "/absent.h5") }
    }

    /// Writes the sample checkpoint, lets `damage` change the file, and returns the read error.
    func readError(_ damage: (HDF5File) throws -> Void) throws -> StoreError? {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.h5"
        let file = try HDF5File.create(path: path)
        try sampleCheckpoint().writeContents(to: file)
        try damage(file)
        try file.flush()
        do { _ = try Checkpoint.read(path: path); return nil } catch { return error }
    }

    @Test func missingDatasetIsNamed() throws {
        let error = try readError { file in H5LdeleteForTests(file, "/model/hidden_bias") }
        guard case let .missing(_, object) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(object.contains("/model/hidden_bias"))
    }

    @Test func wrongShapeIsNamedWithBothShapes() throws {
        let error = try readError { file in
            H5LdeleteForTests(file, "/optimizer/weight_velocity")
            try file.write("/optimizer/weight_velocity", floats: [Float](repeating: 0, count: 21), shape: [3, 7])
        }
        guard case let .wrongShape(_, object, expected, found) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(object == "/optimizer/weight_velocity" && expected == [7, 3] && found == [3, 7])
    }

    /// Format 2 keeps the visible units and the standardisation.
    @Test(arguments: [VisibleUnits.gaussian, .categorical(states: 7)])
    func visibleUnitsAndStandardisationRoundTrip(units: VisibleUnits) throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var checkpoint = sampleCheckpoint()
        checkpoint.state.model.visibleUnits = units
        if units == .gaussian {
            checkpoint.standardization = Standardization(mean: [0.5, -1, 2, 0, 0, 1, 3], standardDeviation: [1, 2, 0.5, 1, 1, 4, 1])
        }
        try checkpoint.write(to: folder + "/c.h5")
        let read = try Checkpoint.read(path: folder + "/c.h5")
        #expect(read.state == checkpoint.state && read.standardization == checkpoint.standardization && read.model.visibleUnits == units)
        #expect(try HDF5File.openReadOnly(path: folder + "/c.h5").int64Attribute("format_version") == Int64(Checkpoint.formatVersion))
    }

    /// Format 3 adds learned variances (z = log σ² and its velocity); a format-2 file (the same
    /// datasets without them) still reads, with unit variances; z on Bernoulli units is refused.
    @Test func learnedVariancesRoundTripAndVersionTwoFilesStillRead() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var checkpoint = sampleCheckpoint()
        checkpoint.state.model.visibleUnits = .gaussian
        checkpoint.state.model.visibleLogVariance = [-1.5, -0.25, 0, 0.125, 0.5, 1, 2.25]
        checkpoint.state.logVarianceVelocity = [0.01, -0.02, 0, 0.03, -0.04, 0.05, 0]
        try checkpoint.write(to: folder + "/learned.h5")
        let read = try Checkpoint.read(path: folder + "/learned.h5")
        #expect(read.state == checkpoint.state && read.model.visibleLogVariance == checkpoint.model.visibleLogVariance)
        #expect(try HDF5File.openReadOnly(path: folder + "/learned.h5").int64Attribute("format_version") == 3)

        var plain = sampleCheckpoint()
        plain.state.model.visibleUnits = .gaussian
        let file = try HDF5File.create(path: folder + "/version2.h5")
        try plain.writeContents(to: file)
        try file.setAttribute("format_version", int64: 2)
        try file.flush()
        let old = try Checkpoint.read(path: folder + "/version2.h5")
        #expect(old.state == plain.state && old.model.visibleLogVariance == nil && old.state.logVarianceVelocity == nil)

        let error = try readError { file in try file.write("/model/visible_log_variance", floats: [Float](repeating: 0, count: 7), shape: [7]) }
        guard case let .wrongType(_, object, expected) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(object == "/model/visible_log_variance" && expected.contains("visible_units is bernoulli"))
    }

    @Test func newerFormatVersionIsRefused() throws {
        let newer = Checkpoint.formatVersion + 1
        let error = try readError { file in try file.setAttribute("format_version", int64: Int64(newer)) }
        guard case let .newerVersion(_, found, supported) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(found == newer && supported == Checkpoint.formatVersion)
    }

    @Test func otherFormatIsRefused() throws {
        let error = try readError { file in try file.setAttribute("format", string: "rbm-features") }
        guard case let .wrongFormat(_, expected, found) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(expected == "rbm-checkpoint" && found == "rbm-features")
    }
}

@Suite struct FeatureFileTests {
    @Test func featuresAndLabelsAreWrittenInBlocksWithProvenance() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/features.h5"
        let writer = try FeatureFileWriter(path: path, provenance: .init(
            createdBy: "test", checkpointPath: "runs/x/checkpoint.h5", checkpointSHA256: "ab12",
            hiddenCount: 3, dataset: "data/x"))
        try writer.beginSplit("train", rows: 5, hiddenCount: 3, hasLabels: true)
        try writer.writeRows(split: "train", offset: 0, rows: 2, features: [0, 0.1, 0.2, 0.3, 0.4, 0.5], labels: [7, 8])
        try writer.writeRows(split: "train", offset: 2, rows: 3, features: (6..<15).map { Float($0) / 10 }, labels: [9, 1, 2])
        try writer.beginSplit("test", rows: 1, hiddenCount: 3, hasLabels: false)
        try writer.writeRows(split: "test", offset: 0, rows: 1, features: [1, 2, 3], labels: nil)
        #expect(!FileManager.default.fileExists(atPath: path), "nothing under the real name before finish()")
        try writer.finish()

        let file = try HDF5File.openReadOnly(path: path)
        #expect(try file.stringAttribute("format") == "rbm-features")
        #expect(try file.int64Attribute("format_version") == 1)
        #expect(try file.int64Attribute("n_hidden") == 3)
        #expect(try file.stringAttribute("checkpoint_sha256") == "ab12")
        let features = try file.readFloats("/train/features")
        #expect(features.shape == [5, 3] && features.values == (0..<15).map { Float($0) / 10 })
        #expect(try file.readInt32s("/train/labels").values == [7, 8, 9, 1, 2])
        #expect(!file.exists("/test/labels") && file.shape(of: "/test/features") == [1, 3])
        let description = try Inspection.describe(path: path).text
        #expect(description.contains("/train/features  [5, 3] float32") && description.contains("rbm-features"))
    }

    @Test func abandonedWriterLeavesNoFile() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let writer = try FeatureFileWriter(path: folder + "/f.h5", provenance: .init(
                createdBy: "t", checkpointPath: "c", checkpointSHA256: "s", hiddenCount: 2, dataset: "d"))
            try writer.beginSplit("train", rows: 2, hiddenCount: 2, hasLabels: false)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
