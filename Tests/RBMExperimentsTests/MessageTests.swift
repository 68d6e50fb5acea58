import Foundation
import RBM
import RBMData
import RBMStore
@testable import RBMSystem
import Testing
@testable import RBMExperiments

/// Messages say what happened, in the user's terms: the key that exists, the row as the file
/// counts it, the space as it is, and which rows a feature file holds.
@Suite(.serialized) struct MessageTests {
    /// A PNG that does not fit on the disk is "no space left on device" with the room needed,
    /// not libpng's "Write Error"; nothing is left behind.
    @Test(.enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
    func aFullDiskWhileWritingAPictureSaysSo() throws {
        let disk = try SmallFileSystem(kilobytes: 192)
        defer { disk.unmount() }
        var image = GrayImage(width: 512, height: 512)
        var state: UInt32 = 12345
        for index in image.pixels.indices {   // noise: ~256 kB that do not compress
            state = state &* 1_664_525 &+ 1_013_904_223
            image.pixels[index] = UInt8(state >> 24)
        }
        #expect {
            try PNG.write(image, to: disk.path + "/filters.png")
        } throws: { error in
            "\(error)".hasPrefix("\(disk.path)/filters.png: cannot write PNG: no space left on device: writing it needs")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).isEmpty)
        // A small one fits and reads back.
        try PNG.write(GrayImage(width: 8, height: 4, fill: 200), to: disk.path + "/small.png")
        #expect(try PNG.read(disk.path + "/small.png") == GrayImage(width: 8, height: 4, fill: 200))
    }

    /// Sizes that round to the same figure are given in bytes.
    @Test func spaceFiguresThatRoundAlikeAreGivenInBytes() {
        #expect(AtomicFile.noSpaceReason(needed: 2_030_000, available: 2_010_000)
                == "no space left on device: writing it needs 2,030,000 bytes, 2,010,000 bytes free")
        #expect(AtomicFile.noSpaceReason(needed: 5_300_000, available: 1_200_000)
                == "no space left on device: writing it needs 5.3 MB, 1.2 MB free")
    }

    /// The CSV label column is `data.labels_key` (there is no data.label_column).
    @Test func aBadLabelColumnNamesTheKeyThatExists() throws {
        let path = NSTemporaryDirectory() + "rbm-labels-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "0,1,0\n1,0,1\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try CSVTable.read(path: path, labelColumn: "7")
        } throws: { error in "\(error)".contains("data.labels_key 7 is not a column") && !"\(error)".contains("label_column") }
        #expect {
            try CSVTable.read(path: path, labelColumn: "label")
        } throws: { error in "\(error)".contains("data.labels_key 'label' names a column but the file has no header line") }
    }

    /// A bad value in the held-out validation rows is named by its row in the file (230 of
    /// 240, the validation split being the last 40), as numpy would count it.
    @Test func valueErrorsNameTheFilesOwnRowNumbers() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var values = [Float](repeating: 0.5, count: 240 * 36)
        values[230 * 36 + 4] = 1.5
        try DataFiles.npy(folder.path + "/values.npy", floats: values, rows: 240)
        var run = TrainingRun(config: try folder.config(["data.path=\(folder.path)/values.npy", "data.validation=40",
                                                         "training.epochs=1"]), log: { _ in })
        run.progress = ProgressLine(enabled: false)
        #expect {
            try run.run()
        } throws: { error in "\(error)".hasPrefix("\(folder.path)/values.npy: row 230, column 4: 1.5 is outside [0, 1]") }
    }

    /// `rbm features --data CONFIG` writes the rows training trained on: the first
    /// `data.train_samples` of the training split, and says so.
    @Test func featuresOfAConfigHoldTheRowsTrainingUsed() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.epochs=1", "data.train_samples=120", "output.pictures=false"])
        let configPath = folder.path + "/run.yaml"
        try ConfigLoader.render(config).write(toFile: configPath, atomically: true, encoding: .utf8)
        var run = TrainingRun(config: config, log: { _ in })
        run.progress = ProgressLine(enabled: false)
        let runFolder = RunFolder(path: try run.run().folder)
        let out = folder.path + "/f.h5"
        let (status, output) = try Child(["features", runFolder.checkpoint, "--data", configPath, "--out", out]).finish()
        #expect(status == 0, "\(output)")
        #expect(output.contains("train 120×8") && output.contains("the first 120 training rows, data.train_samples"), "\(output)")
        let trained = try HDF5File.openReadOnly(path: runFolder.features).readFloats("/train/features")
        let again = try HDF5File.openReadOnly(path: out).readFloats("/train/features")
        #expect(trained.shape == [120, 8] && again.shape == trained.shape && again.values == trained.values)
        // An IDX folder named directly is the whole training file.
        let (folderStatus, folderOutput) = try Child(["features", runFolder.checkpoint, "--data", folder.dataPath,
                                                      "--out", folder.path + "/whole.h5"]).finish()
        #expect(folderStatus == 0 && folderOutput.contains("train 240×8"), "\(folderOutput)")
    }
}
