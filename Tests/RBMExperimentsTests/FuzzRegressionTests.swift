import Foundation
import Testing
import RBMData
import RBMStore
@testable import RBMExperiments

/// Inputs the fuzzers (make fuzz) found crashing, kept in Fuzz/regressions/<target>/: each must
/// now give a clear error. The seed corpora in Fuzz/corpus must still parse.
@Suite struct FuzzRegressionTests {
    func files(_ folder: String) -> [String] {
        let path = repositoryRoot + "/Fuzz/" + folder
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
    }

    @Test func idxCrashInputsAreRejectedWithAnError() throws {
        let inputs = files("regressions/idx")
        #expect(!inputs.isEmpty, "the IDX regression corpus should not be empty")
        for input in inputs {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
            #expect(throws: DataError.self, "\(input)") { try IDXArray.parse(bytes, path: input) }
            #expect(throws: DataError.self, "\(input)") {
                let reader = try IDXRowReader(path: input)
                var buffer: [UInt8] = []
                try reader.readRows(reader.count, into: &buffer)
                try reader.checkEnd()
            }
        }
    }

    @Test func configCrashInputsAreRejectedWithAnError() {
        for input in files("regressions/config") {
            let text = (try? String(contentsOfFile: input, encoding: .utf8)) ?? ""
            #expect(throws: ConfigError.self, "\(input)") { try ConfigLoader.parse(text, file: input) }
            #expect(throws: ConfigError.self, "\(input)") { try SweepLoader.load(path: input) }
        }
    }

    @Test func hdf5CrashInputsAreRejectedWithAnError() {
        for input in files("regressions/hdf5") {
            #expect(throws: StoreError.self, "\(input)") { try Checkpoint.read(path: input) }
            _ = try? Inspection.describe(path: input)   // must return, error or not
        }
    }

    @Test func dataCrashInputsAreRejectedWithAnError() {
        for input in files("regressions/data") {
            #expect(throws: DataError.self, "\(input)") {
                let source = try NPYSource(values: NPYArray(path: input), labels: nil, scale: 1, imageShape: nil, source: input)
                _ = try source.firstRows(64)
            }
            _ = try? NPZArchive(path: input).entries.keys.map { try NPZArchive(path: input).array($0) }
            _ = try? CSVTable.read(path: input)   // must return, error or not
        }
    }

    @Test func seedCorporaParse() throws {
        for input in files("corpus/data") {
            if input.hasSuffix(".npy") { _ = try NPYArray(path: input) }
            if input.hasSuffix(".npz") {
                let archive = try NPZArchive(path: input)
                for name in archive.entries.keys { _ = try archive.array(name) }
            }
            if input.hasSuffix(".csv") { _ = try CSVTable.read(path: input) }
        }
        for input in files("corpus/idx") { _ = try IDXArray.read(path: input) }
        for input in files("corpus/config") where !input.hasSuffix("sweep.yaml") {
            _ = try ConfigLoader.parse(try String(contentsOfFile: input, encoding: .utf8), file: input)
        }
        _ = try Checkpoint.read(path: repositoryRoot + "/Fuzz/corpus/hdf5/checkpoint.h5")
        #expect(try Inspection.describe(path: repositoryRoot + "/Fuzz/corpus/hdf5/features.h5").text.contains("rbm-features"))
    }
}
