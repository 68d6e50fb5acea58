import Foundation
import RBM
import RBMData
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// Writes the same matrix in the formats `rbm` reads.
enum DataFiles {
    /// A `.npy` file: `descr` such as "<f4" or "|u1", C order.
    static func npy(_ path: String, descr: String, shape: [Int], bytes: [UInt8]) throws {
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
        while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
        text += "\n"
        let header: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)]
        try Data(header + Array(text.utf8) + bytes).write(to: URL(fileURLWithPath: path))
    }

    static func npy(_ path: String, floats: [Float], rows: Int) throws {
        try npy(path, descr: "<f4", shape: [rows, floats.count / rows], bytes: floats.withUnsafeBytes { Array($0) })
    }

    static func npy(_ path: String, labels: [Int32]) throws {
        try npy(path, descr: "<i4", shape: [labels.count], bytes: labels.withUnsafeBytes { Array($0) })
    }

    static func csv(_ path: String, _ dataset: Dataset) throws {
        var lines = [(0..<dataset.featureCount).map { "pixel\($0)" }.joined(separator: ",") + ",label"]
        for row in 0..<dataset.count {
            let values = dataset.values[(row * dataset.featureCount)..<((row + 1) * dataset.featureCount)].map { "\($0)" }
            lines.append((values + [String(dataset.labels![row])]).joined(separator: ","))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func hdf5(_ path: String, _ dataset: Dataset) throws {
        let file = try HDF5File.create(path: path)
        try file.write("/data/pixels", floats: dataset.values, shape: [dataset.count, dataset.featureCount])
        try file.write("/labels", int32s: dataset.labels!, shape: [dataset.count])
        try file.flush()
    }

    static func python(_ script: String, in folder: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

@Suite(.serialized) struct DataFormatTests {
    func train(_ config: ExperimentConfig) throws -> RunResult {
        var run = TrainingRun(config: config, log: { _ in })
        run.progress = ProgressLine(enabled: false)
        return try run.run()
    }

    /// The synthetic IDX training file (240 rows) as a dataset, values /255 like the IDX reader.
    func trainingRows(_ folder: SyntheticIDXFolder) throws -> Dataset {
        try IDXFolder.load(folder: folder.dataPath, validationCount: 0).train.firstRows(.max)
    }

    /// The same 240 samples as IDX, HDF5, .npy (float32, and bytes with data.scale 255), .npz
    /// (stored and compressed) and CSV give bit-identical trained weights.
    @Test func theSameDataInEveryFormatTrainsBitIdenticalWeights() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let data = try trainingRows(folder)
        let base = ["training.epochs=2", "output.features=true", "output.pictures=false", "data.validation=40"]
        let reference = try train(folder.config(base + ["output.name=idx"])).model

        try DataFiles.npy(folder.path + "/x.npy", floats: data.values, rows: data.count)
        try DataFiles.npy(folder.path + "/y.npy", labels: data.labels!)
        let bytes = data.values.map { UInt8(($0 * 255).rounded()) }
        try DataFiles.npy(folder.path + "/bytes.npy", descr: "|u1", shape: [data.count, data.featureCount], bytes: bytes)
        try DataFiles.csv(folder.path + "/x.csv", data)
        try DataFiles.hdf5(folder.path + "/x.h5", data)
        let (status, output) = try DataFiles.python("""
            import numpy as np
            x = np.load("x.npy"); y = np.load("y.npy")
            np.savez("stored.npz", train=x, train_labels=y)
            np.savez_compressed("compressed.npz", train=x, train_labels=y)
            """, in: folder.path)
        #expect(status == 0, "\(output)")

        let variants: [(String, [String])] = [
            ("npy", ["data.path=\(folder.path)/x.npy", "data.labels_key=y.npy"]),
            ("bytes", ["data.path=\(folder.path)/bytes.npy", "data.scale=255"]),
            ("csv", ["data.path=\(folder.path)/x.csv", "data.labels_key=label"]),
            ("hdf5", ["data.path=\(folder.path)/x.h5"]),
            ("stored", ["data.path=\(folder.path)/stored.npz"]),
            ("compressed", ["data.path=\(folder.path)/compressed.npz"]),
        ]
        for (name, settings) in variants {
            let model = try train(folder.config(base + settings + ["output.name=\(name)"])).model
            #expect(model.weights == reference.weights && model.visibleBias == reference.visibleBias
                    && model.hiddenBias == reference.hiddenBias, "\(name) trains other weights")
        }
        // Labels travel with the rows into features.h5.
        let features = try HDF5File.openReadOnly(path: folder.path + "/runs/csv/features.h5")
        #expect(try features.readInt32s("/train/labels").values == Array(data.labels!.prefix(200)))
    }

    /// A split streamed in blocks trains the same bits on 1, 2 and 3 workers, and stopping in
    /// the middle of an epoch and resuming changes nothing.
    @Test func streamedTrainingIsBitIdenticalForAnyWorkerCountAndAcrossResume() throws {
        let folder = SyntheticIDXFolder(trainCount: 600)
        defer { folder.remove() }
        let data = try trainingRows(folder)
        try DataFiles.npy(folder.path + "/x.npy", floats: data.values, rows: data.count)
        let settings = ["data.path=\(folder.path)/x.npy", "data.block_rows=70", "data.validation=0", "training.epochs=3",
                        "training.sampler=pcd", "output.features=false", "output.pictures=false"]
        var models: [RBMModel] = []
        for workers in 1...3 {
            models.append(try train(folder.config(settings + ["training.workers=\(workers)", "output.name=w\(workers)"])).model)
        }
        #expect(models[1] == models[0] && models[2] == models[0])

        var stopping = TrainingRun(config: try folder.config(settings + ["output.name=resumed"]), log: { _ in })
        stopping.progress = ProgressLine(enabled: false)
        nonisolated(unsafe) var stop: Int32? = nil
        stopping.afterBatch = { epoch, batch in if epoch == 1 && batch == 23 { stop = SIGINT } }
        stopping.stopRequest = { stop }
        #expect(throws: TrainingError.self) { try stopping.run() }
        var resumed = TrainingRun(config: try folder.config(settings + ["output.name=resumed"]), resume: true, log: { _ in })
        resumed.progress = ProgressLine(enabled: false)
        #expect(try resumed.run().model == models[0])
    }

    /// Streaming a file several times larger than the bound keeps the resident set under it.
    @Test func streamingALargeFileKeepsMemoryBounded() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let rows = 3_000_000, columns = 100  // 300 MB of bytes
        var bytes = [UInt8](repeating: 0, count: rows * columns)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 24) }
        try DataFiles.npy(folder.path + "/big.npy", descr: "|u1", shape: [rows, columns], bytes: bytes)
        bytes = []
        let config = folder.path + "/big.yaml"
        try ConfigLoader.render(try folder.config([
            "data.path=\(folder.path)/big.npy", "data.scale=255", "data.block_rows=20000", "data.validation=0",
            "model.hidden=4", "training.batch_size=500", "training.epochs=1", "output.features=false",
            "output.pictures=false", "output.name=big"])).write(toFile: config, atomically: true, encoding: .utf8)
        let child = try Child(["train", config, "--quiet"])
        var peak = 0
        while child.process.isRunning {
            let status = (try? String(contentsOfFile: "/proc/\(child.process.processIdentifier)/status", encoding: .utf8)) ?? ""
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peak = max(peak, kilobytes)
            }
            usleep(20_000)
        }
        let (status, output) = child.finish()
        #expect(status == 0, "\(output)")
        // 300 MB of data; the bound is the runtime and libraries (~40 MB) plus two blocks
        // (2 × 20,000 × 100 × 4 bytes = 16 MB) and the mapped pages of the block being read.
        #expect(peak > 0 && peak < 80_000, "peak resident set \(peak) kB for a 300 MB file")
    }

    /// Bad inputs are errors naming the file and where, before anything is written.
    @Test func badInputsAreClearErrorsAndWriteNothing() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let p = folder.path
        try DataFiles.npy(p + "/cube.npy", descr: "<f4", shape: [2, 2, 2], bytes: [UInt8](repeating: 0, count: 32))
        try DataFiles.npy(p + "/empty.npy", descr: "<f4", shape: [0, 36], bytes: [])
        try DataFiles.npy(p + "/x.npy", floats: [Float](repeating: 0.5, count: 240 * 36), rows: 240)
        try DataFiles.npy(p + "/y.npy", labels: [Int32](repeating: 1, count: 7))
        var high = [Float](repeating: 0.5, count: 240 * 36)
        high[5 * 36 + 7] = 1.5
        try DataFiles.npy(p + "/high.npy", floats: high, rows: 240)
        try DataFiles.npy(p + "/short.npy", descr: "<f4", shape: [240, 36], bytes: [UInt8](repeating: 0, count: 100))
        try "a,b\n0.5,0.25\n0.5,x1\n".write(toFile: p + "/cell.csv", atomically: true, encoding: .utf8)
        try ("a,b\n0.5,0.25\n0.5,nan\n" + String(repeating: "0.5,0.25\n", count: 20))
            .write(toFile: p + "/nan.csv", atomically: true, encoding: .utf8)
        try DataFiles.hdf5(p + "/x.h5", try trainingRows(folder))
        let cases: [([String], String)] = [
            (["data.path=\(p)/cube.npy"], "cube.npy: bad dimensions: expected rows × features (or a vector of labels), found shape [2, 2, 2]"),
            (["data.path=\(p)/empty.npy"], "empty.npy: bad dimensions: the array is empty"),
            (["data.path=\(p)/x.npy", "data.labels_key=y.npy"], "x.npy has 240 images but \(p)/y.npy has 7 labels"),
            (["data.path=\(p)/cell.csv"], "cell.csv:3: column 2: 'x1' is not a number"),
            (["data.path=\(p)/high.npy"], "high.npy: row 5, column 7: 1.5 is outside [0, 1]"),
            (["data.path=\(p)/nan.csv"], "nan.csv: row 1, column 1: nan is not a finite number"),
            (["data.path=\(p)/short.npy"], "short.npy: truncated: the header promises"),
            (["data.path=\(p)/x.h5", "data.train_key=/nope"], "x.h5: no array or dataset named '/nope' (it has /data/pixels, /labels)"),
        ]
        for (settings, message) in cases {
            var run = TrainingRun(config: try folder.config(settings + ["data.validation=0", "output.name=bad"]), log: { _ in })
            run.progress = ProgressLine(enabled: false)
            #expect {
                try run.run()
            } throws: { error in "\(error)".contains(message) }
            #expect(!FileManager.default.fileExists(atPath: p + "/runs/bad"), "\(settings): nothing written")
        }
    }

    /// Stacked RBMs: a second RBM trains on the first one's features.h5 with no glue, and its
    /// features record both checkpoints; `rbm features` takes a features file as data too.
    @Test func aSecondLayerTrainsOnTheFirstLayersFeatures() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let first = try train(folder.config(["training.epochs=2", "output.pictures=false", "output.name=layer1"]))
        let layer1 = RunFolder(path: first.folder)
        let second = try train(folder.config(["data.path=\(layer1.features)", "data.validation=0", "model.hidden=5",
                                              "training.epochs=2", "output.pictures=false", "output.name=layer2"]))
        #expect(second.model.visibleCount == 8 && second.model.isFinite)
        let features = try HDF5File.openReadOnly(path: RunFolder(path: second.folder).features)
        #expect(try features.stringAttribute("checkpoint") == RunFolder(path: second.folder).checkpoint)
        #expect(try features.stringAttribute("input_checkpoint") == layer1.checkpoint)
        #expect(try features.stringAttribute("input_checkpoint_sha256") == SHA256.hex(ofFile: layer1.checkpoint))
        #expect(features.shape(of: "/validation/features") == [40, 5] && features.exists("/test/labels"))

        let out = folder.path + "/again.h5"
        let (status, output) = try Child(["features", RunFolder(path: second.folder).checkpoint, "--data", layer1.features,
                                          "--out", out]).finish()
        #expect(status == 0, "\(output)")
        let again = try HDF5File.openReadOnly(path: out)
        #expect(try again.readFloats("/train/features").values == features.readFloats("/train/features").values)
    }
}
