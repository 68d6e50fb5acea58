import CZlib
import Foundation
import RBMData
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// Every split a config uses is read and checked before the first update, with the same errors
/// for all of them; what is absent by design is said once.
@Suite struct DataCheckTests {
    func trainingFails(_ folder: SyntheticIDXFolder, _ matches: (String) -> Bool) throws {
        var run = TrainingRun(config: try folder.config(["training.epochs=1"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        #expect {
            try run.run()
        } throws: { error in matches("\(error)") }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/runs/tiny"), "nothing written before the check")
    }

    func gzipped(_ name: String, _ folder: SyntheticIDXFolder) throws -> [UInt8] {
        let handle = gzopen(folder.dataPath + "/" + name, "rb")!
        defer { gzclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { gzread(handle, $0.baseAddress, 65_536) }
            if count <= 0 { break }
            bytes += buffer[0..<Int(count)]
        }
        return bytes
    }

    @Test func aTruncatedTestFileIsAnErrorLikeATruncatedTrainingFile() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let images = try gzipped("t10k-images-idx3-ubyte.gz", folder)
        folder.save(Array(images.prefix(images.count - 100)), "t10k-images-idx3-ubyte.gz")
        try trainingFails(folder) { $0.contains("t10k-images-idx3-ubyte.gz") }
    }

    @Test func aTestLabelCountThatDoesNotMatchIsAnError() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        folder.save([0, 0, 8, 1] + folder.bigEndian(3) + [1, 2, 3], "t10k-labels-idx1-ubyte.gz")
        try trainingFails(folder) { $0.contains("t10k-labels-idx1-ubyte.gz") && $0.contains("40") }
    }

    @Test func aTestSplitOfAnotherImageSizeIsFoundBeforeTraining() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        folder.save([0, 0, 8, 3] + folder.bigEndian(4) + folder.bigEndian(5) + folder.bigEndian(5)
                    + [UInt8](repeating: 9, count: 4 * 25), "t10k-images-idx3-ubyte.gz")
        folder.save([0, 0, 8, 1] + folder.bigEndian(4) + [1, 2, 3, 4], "t10k-labels-idx1-ubyte.gz")
        try trainingFails(folder) { $0.contains("test samples have 25 values (5×5) but training samples have 36 values (6×6)") }
    }

    @Test func anAbsentTestSplitAndAbsentLabelsAreSaidOnce() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
            try FileManager.default.removeItem(atPath: folder.dataPath + "/" + name)
        }
        var lines: [String] = []
        var run = TrainingRun(config: try folder.config(["training.epochs=2", "output.pictures=false"]), log: { lines.append($0) })
        run.progress = ProgressLine(enabled: false)
        _ = try run.run()
        #expect(lines.filter { $0.contains("no test split") }.count == 1)
        #expect(lines.filter { $0.contains("no train-labels-idx1-ubyte") }.count == 1)
        let features = try HDF5File.openReadOnly(path: folder.path + "/runs/tiny/features.h5")
        #expect(features.exists("/train/features") && !features.exists("/train/labels") && !features.exists("/test"))
    }
}
