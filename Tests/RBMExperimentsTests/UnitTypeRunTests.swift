import Foundation
import RBM
import RBMData
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// Gaussian, categorical and binomial visible units through the whole tool: config, data, training,
/// checkpoint (format 2), features of new data, evaluation; and version-1 checkpoints.
@Suite(.serialized) struct UnitTypeRunTests {
    func train(_ config: ExperimentConfig) throws -> RunResult {
        var run = TrainingRun(config: config, log: { _ in })
        run.progress = ProgressLine(enabled: false)
        return try run.run()
    }

    /// Real values (not in [0, 1]) train with Gaussian units on standardised data; the
    /// checkpoint keeps the standardisation, and `rbm features` applies it to the data.
    @Test func gaussianUnitsTrainOnStandardisedDataAndKeepTheTransform() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let data = try IDXFolder.load(folder: folder.dataPath, validationCount: 0).train.firstRows(.max)
        let real = data.values.map { $0 * 40 - 7 }   // far outside [0, 1]
        try DataFiles.npy(folder.path + "/real.npy", floats: real, rows: data.count)
        let config = try folder.config(["data.path=\(folder.path)/real.npy", "data.validation=40", "data.binarization=none",
                                        "model.visible=gaussian", "training.epochs=3", "training.learning_rate=0.01",
                                        "evaluation.every=3", "evaluation.split=validation", "output.name=gaussian"])
        let result = try train(config)
        #expect(result.model.visibleUnits == .gaussian && result.model.isFinite)
        let checkpoint = try Checkpoint.read(path: RunFolder(path: result.folder).checkpoint)
        let standardization = try #require(checkpoint.standardization)
        // The transform is the 200 training rows' own mean and standard deviation.
        let column = (0..<200).map { Double(real[$0 * 36 + 5]) }
        let mean = column.reduce(0, +) / 200
        let deviation = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 200).squareRoot()
        #expect(abs(Double(standardization.mean[5]) - mean) < 1e-4 && abs(Double(standardization.standardDeviation[5]) - deviation) < 1e-4)
        #expect(checkpoint.model.visibleUnits == .gaussian)
        // Log-likelihoods are densities: finite, and no pseudo-likelihood.
        let last = try #require(result.history.last)
        #expect(last.logLikelihood?.isFinite == true && last.pseudoLikelihood == nil)

        // Features of the data through the command line match P(h | standardised v).
        let out = folder.path + "/f.h5"
        let (status, output) = try Child(["features", RunFolder(path: result.folder).checkpoint, "--data", folder.path + "/real.npy",
                                          "--out", out]).finish()
        #expect(status == 0, "\(output)")
        let first = (0..<36).map { (real[$0] - standardization.mean[$0]) / standardization.standardDeviation[$0] }
        let expected = checkpoint.model.hiddenProbabilities(visible: first, rows: 1)
        let written = try HDF5File.openReadOnly(path: out).readFloats("/train/features").values
        #expect(zip(written.prefix(8), expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// Learned variances on data as given (`data.standardize: no`): σ² starts at each feature's
    /// variance and b at mean/σ (checked after an update small enough to leave them), and the
    /// features through the command line are P(h | v/σ).
    @Test func learnedVariancesStartFromTheDatasVarianceWhenNotStandardised() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let data = try IDXFolder.load(folder: folder.dataPath, validationCount: 0).train.firstRows(.max)
        let real = data.values.map { $0 * 40 - 7 }
        try DataFiles.npy(folder.path + "/real.npy", floats: real, rows: data.count)
        let config = try folder.config(["data.path=\(folder.path)/real.npy", "data.validation=40", "data.binarization=none",
                                        "data.standardize=no", "model.visible=gaussian", "model.learn_variance=true",
                                        "training.epochs=1", "training.learning_rate=0.000000001", "output.name=raw-variance"])
        let result = try train(config)
        let checkpoint = try Checkpoint.read(path: RunFolder(path: result.folder).checkpoint)
        #expect(checkpoint.standardization == nil)
        let z = try #require(checkpoint.model.visibleLogVariance)
        for i in [5, 17, 30] {
            let column = (0..<200).map { Double(real[$0 * 36 + i]) }
            let mean = column.reduce(0, +) / 200
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 200
            guard variance > 1 else { continue }
            #expect(abs(Double(z[i]) - log(variance)) < 1e-3, "unit \(i): z \(z[i]), log variance \(log(variance))")
            #expect(abs(Double(checkpoint.model.visibleBias[i]) - mean / variance.squareRoot()) < 1e-3)
        }
        #expect(z.contains { $0 > 3 }, "the features' variances are in the hundreds: \(z.prefix(8))")

        let out = folder.path + "/f.h5"
        let (status, output) = try Child(["features", RunFolder(path: result.folder).checkpoint, "--data", folder.path + "/real.npy",
                                          "--out", out]).finish()
        #expect(status == 0, "\(output)")
        let first = (0..<36).map { i in real[i] * RBMModel.inverseStandardDeviation(logVariance: z[i]) }
        let expected = checkpoint.model.unitVarianceModel.hiddenProbabilities(visible: first, rows: 1)
        let written = try HDF5File.openReadOnly(path: out).readFloats("/train/features").values
        #expect(zip(written.prefix(8), expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// Integer codes train categorical units; the exact log-likelihood is recorded.
    @Test func categoricalUnitsTrainOnIntegerCodes() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let data = try IDXFolder.load(folder: folder.dataPath, validationCount: 0).train.firstRows(.max)
        let codes = data.values.map { $0 > 0.5 ? UInt8(3) : UInt8(0) }  // 4 grey levels, two used
        try DataFiles.npy(folder.path + "/codes.npy", descr: "|u1", shape: [data.count, 36], bytes: codes)
        let result = try train(folder.config([
            "data.path=\(folder.path)/codes.npy", "data.validation=40", "data.binarization=none", "model.visible=categorical",
            "data.categories=4", "training.epochs=3", "evaluation.every=3", "output.name=categorical"]))
        #expect(result.model.visibleUnits == .categorical(states: 4) && result.model.visibleCount == 144)
        let last = try #require(result.history.last)
        #expect(last.logLikelihood.map { $0 < 0 && $0.isFinite } == true && last.pseudoLikelihood.map { $0 < 0 } == true)
        let checkpoint = try Checkpoint.read(path: RunFolder(path: result.folder).checkpoint)
        #expect(checkpoint.model.visibleUnits == .categorical(states: 4))
        let pictures = try FileManager.default.contentsOfDirectory(atPath: result.folder)
        #expect(pictures.contains("filters.png") && pictures.contains("samples.png"))
        // AIS of categorical units jumps between modes by default (`evaluation.ais_jumps: auto`),
        // and says so; `--ais-jumps off` runs plain Gibbs transitions.
        let path = RunFolder(path: result.folder).checkpoint
        for (arguments, jumps) in [([String](), true), (["--ais-jumps", "off"], false)] {
            let (status, output) = try Child(["evaluate", path, "--split", "validation", "--ais", "--ais-betas", "300", "--no-pseudo-likelihood",
                                              "--json"] + arguments).finish()
            #expect(status == 0, "\(output)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
            let method = try #require(object["log_z_method"] as? String)
            #expect(method.contains("mode jumps") == jumps, "\(arguments): \(method)")
            #expect((object["log_z"] as? Double).map { $0.isFinite } == true)
        }
        let (status, output) = try Child(["evaluate", path, "--ais-jumps", "sometimes"]).finish()
        #expect(status != 0 && output.contains("ais-jumps"), "\(output)")
    }

    /// An IDX folder's grey levels train binomial units as counts out of 255 (each pixel its own
    /// level); the checkpoint keeps the trials, the exact log-likelihood is a log-probability of
    /// the counts, and new count data give features.
    @Test func binomialUnitsTrainOnGreyLevelsAsCounts() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let result = try train(folder.config([
            "data.validation=40", "data.binarization=none", "model.visible=binomial", "data.trials=255", "model.hidden=8",
            "training.sampler=pcd", "training.epochs=3", "training.learning_rate=0.001", "evaluation.every=3",
            "output.name=binomial"]))
        #expect(result.model.visibleUnits == .binomial(trials: 255) && result.model.isFinite)
        let last = try #require(result.history.last)
        #expect(last.logLikelihood.map { $0 < 0 && $0.isFinite } == true && last.pseudoLikelihood == nil)
        let checkpointPath = RunFolder(path: result.folder).checkpoint
        let checkpoint = try Checkpoint.read(path: checkpointPath)
        #expect(checkpoint.model.visibleUnits == .binomial(trials: 255))
        #expect(try HDF5File.openReadOnly(path: checkpointPath).int64Attribute("visible_trials") == 255)
        let chains = try #require(checkpoint.state.chainVisible)
        #expect(chains.allSatisfy { $0 == $0.rounded() && $0 >= 0 && $0 <= 255 })
        let pictures = try FileManager.default.contentsOfDirectory(atPath: result.folder)
        #expect(pictures.contains("filters.png") && pictures.contains("samples.png"))

        // Counts in a .npy file give P(h | v) of those counts.
        let counts = (0..<(5 * 36)).map { Float($0 % 256) }
        try DataFiles.npy(folder.path + "/counts.npy", floats: counts, rows: 5)
        let out = folder.path + "/f.h5"
        let (status, output) = try Child(["features", checkpointPath, "--data", folder.path + "/counts.npy", "--out", out]).finish()
        #expect(status == 0, "\(output)")
        let expected = checkpoint.model.hiddenProbabilities(visible: Array(counts.prefix(36)), rows: 1)
        let written = try HDF5File.openReadOnly(path: out).readFloats("/train/features").values
        #expect(zip(written.prefix(8), expected).allSatisfy { abs($0 - $1) < 1e-5 })
        let (inspectStatus, inspectOutput) = try Child(["inspect", checkpointPath]).finish()
        #expect(inspectStatus == 0 && inspectOutput.contains("visible_trials"), "\(inspectOutput)")
    }

    @Test func badUnitInputsAreClearErrors() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var codes = [UInt8](repeating: 1, count: 240 * 36)
        codes[7 * 36 + 3] = 9
        try DataFiles.npy(folder.path + "/codes.npy", descr: "|u1", shape: [240, 36], bytes: codes)
        var fractions = [Float](repeating: 1, count: 240 * 36)
        fractions[2 * 36 + 1] = 1.5
        try DataFiles.npy(folder.path + "/fractions.npy", floats: fractions, rows: 240)
        var real = [Float](repeating: 2, count: 240 * 36)
        real[4 * 36 + 2] = .nan
        try DataFiles.npy(folder.path + "/nan.npy", floats: real, rows: 240)
        let categorical = ["model.visible=categorical", "data.categories=4", "data.binarization=none", "data.validation=0"]
        let cases: [([String], String)] = [
            (categorical + ["data.path=\(folder.path)/codes.npy"], "codes.npy: row 7, column 3: 9.0 is not a category code: data.categories is 4"),
            (categorical + ["data.path=\(folder.path)/fractions.npy"], "fractions.npy: row 2, column 1: 1.5 is not a category code"),
            (["model.visible=gaussian", "data.binarization=none", "data.validation=0", "data.path=\(folder.path)/nan.npy"],
             "nan.npy: row 4, column 2: nan is not a finite number"),
        ]
        for (settings, message) in cases {
            #expect {
                try train(folder.config(settings + ["output.name=bad"]))
            } throws: { error in "\(error)".contains(message) }
        }
        #expect {
            try folder.config(["model.visible=gaussian"])
        } throws: { error in "\(error)".contains("Gaussian visible units take real values: set data.binarization: none") }
        #expect {
            try folder.config(["model.visible=categorical", "data.binarization=none"])
        } throws: { error in "\(error)".contains("need data.categories") }
        // Counts must be integers 0 … n, and n must be given, for binomial units only.
        var counts = [Float](repeating: 3, count: 240 * 36)
        counts[5 * 36 + 4] = 2.5
        try DataFiles.npy(folder.path + "/counts.npy", floats: counts, rows: 240)
        #expect {
            try train(folder.config(["model.visible=binomial", "data.trials=4", "data.binarization=none", "data.validation=0",
                                     "data.path=\(folder.path)/counts.npy", "output.name=bad"]))
        } throws: { error in "\(error)".contains("counts.npy: row 5, column 4: 2.5 is not a count: data.trials is 4, so values are the integers 0 to 4") }
        #expect {
            try folder.config(["model.visible=binomial", "data.binarization=none"])
        } throws: { error in "\(error)".contains("binomial visible units need data.trials") }
        #expect {
            try folder.config(["data.trials=10"])
        } throws: { error in "\(error)".contains("data.trials is for binomial visible units") }
        #expect {
            try folder.config(["model.visible=binomial", "data.trials=10"])
        } throws: { error in "\(error)".contains("binomial visible units read counts: set data.binarization: none") }
    }

    /// A checkpoint written by the previous release (format_version 1, 9b5d6e0) still loads,
    /// as Bernoulli, and evaluates.
    @Test func aVersionOneCheckpointStillLoadsAndEvaluates() throws {
        let path = repositoryRoot + "/Tests/RBMStoreTests/Fixtures/version1-checkpoint.h5"
        let checkpoint = try Checkpoint.read(path: path)
        #expect(try HDF5File.openReadOnly(path: path).int64Attribute("format_version") == 1)
        #expect(checkpoint.model.visibleUnits == .bernoulli && checkpoint.model.visibleCount == 16 && checkpoint.model.hiddenCount == 3)
        #expect(checkpoint.model.weights[0] == Float(0.007060661446303129))
        #expect(checkpoint.standardization == nil && checkpoint.epoch == 2)
        let logZ = checkpoint.model.exactLogPartitionFunction()
        #expect(logZ.isFinite && logZ > 0)
    }
}
