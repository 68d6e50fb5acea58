import Foundation
import RBM
import RBMData
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// What training did to the data (standardised or not), `rbm evaluate` and `rbm features` do
/// too, read from the checkpoint: for each unit type and each `data.standardize`, the
/// evaluation's reconstruction error equals the one training logged on the same validation
/// rows, and the features `rbm features` writes equal the features.h5 training wrote.
@Suite(.serialized) struct StandardisationTests {
    enum Units: String, CaseIterable { case bernoulli, gaussian, categorical }

    static let combinations: [(Units, ExperimentConfig.Standardize)] = [
        (.bernoulli, .auto), (.bernoulli, .no), (.gaussian, .auto), (.gaussian, .yes), (.gaussian, .no),
        (.categorical, .auto), (.categorical, .no),
    ]

    @Test(arguments: 0..<combinations.count)
    func evaluationAndFeaturesDoWhatTrainingDid(index: Int) throws {
        let (units, standardize) = Self.combinations[index]
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let data = try IDXFolder.load(folder: folder.dataPath, validationCount: 0).train.firstRows(.max)
        var settings = ["training.epochs=2", "output.pictures=false", "data.standardize=\(standardize.rawValue)",
                        "data.validation=40", "evaluation.monitor_samples=40", "training.learning_rate=0.01"]
        switch units {
        case .bernoulli:
            settings += ["data.binarization=threshold"]
        case .gaussian:
            // Real values far from [0, 1]: standardising or not changes every number.
            try DataFiles.npy(folder.path + "/real.npy", floats: data.values.map { $0 * 40 - 7 }, rows: data.count)
            settings += ["data.path=\(folder.path)/real.npy", "data.binarization=none", "model.visible=gaussian",
                         "training.learning_rate=0.001"]
        case .categorical:
            try DataFiles.npy(folder.path + "/codes.npy", descr: "|u1", shape: [data.count, 36],
                              bytes: data.values.map { $0 > 0.5 ? 2 : 0 })
            settings += ["data.path=\(folder.path)/codes.npy", "data.binarization=none", "model.visible=categorical",
                         "data.categories=3"]
        }
        let config = try folder.config(settings)
        let configPath = folder.path + "/run.yaml"
        try ConfigLoader.render(config).write(toFile: configPath, atomically: true, encoding: .utf8)
        var run = TrainingRun(config: config, log: { _ in })
        run.progress = ProgressLine(enabled: false)
        let result = try run.run()
        let runFolder = RunFolder(path: result.folder)
        let checkpoint = try Checkpoint.read(path: runFolder.checkpoint)
        #expect((checkpoint.standardization != nil) == config.standardizes, "\(units) \(standardize)")
        let logged = try #require(result.history.last?.validationReconstructionError)

        let (status, output) = try Child(["evaluate", runFolder.checkpoint, "--split", "validation", "--samples", "40",
                                          "--no-pseudo-likelihood"]).finish()
        #expect(status == 0, "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("reconstruction error: ") })
        let evaluated = try #require(Double(line.dropFirst("reconstruction error: ".count).prefix { $0 != " " }))
        #expect(abs(evaluated - logged) <= 0.0006 + 1e-5 * abs(logged), "\(units) \(standardize): evaluate \(evaluated), training \(logged)")

        let out = folder.path + "/again.h5"
        let (featuresStatus, featuresOutput) = try Child(["features", runFolder.checkpoint, "--data", configPath, "--out", out]).finish()
        #expect(featuresStatus == 0, "\(featuresOutput)")
        for split in ["train", "validation", "test"] where try HDF5File.openReadOnly(path: runFolder.features).exists("/\(split)/features") {
            let trained = try HDF5File.openReadOnly(path: runFolder.features).readFloats("/\(split)/features")
            let again = try HDF5File.openReadOnly(path: out).readFloats("/\(split)/features")
            #expect(trained.shape == again.shape, "\(units) \(standardize) \(split)")
            let difference = zip(trained.values, again.values).map { abs($0 - $1) }.max() ?? 0
            #expect(difference <= 1e-6, "\(units) \(standardize) \(split): features differ by \(difference)")
        }
        if units == .gaussian {
            #expect(output.contains(standardize == .no ? "Gaussian visible units, data as given, not standardised)"
                                                       : "Gaussian visible units, standardised data)"), "\(output)")
        }
    }

    /// `data.standardize: yes` with units that read values as given is the config's error,
    /// naming the key, not a value error blamed on the data file.
    @Test func standardizeYesWithBernoulliUnitsIsAConfigError() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        #expect {
            try folder.config(["data.standardize=yes"])
        } throws: { error in
            "\(error)".hasPrefix("--set: data.standardize: standardised data are for Gaussian visible units")
        }
        #expect {
            try ConfigLoader.parse("model:\n  visible: categorical\ndata:\n  categories: 3\n  binarization: none\n  standardize: yes\n", file: "c.yaml")
        } throws: { error in "\(error)".hasPrefix("c.yaml: data.standardize:") }
    }
}
