import Foundation
import Testing
import RBM
import RBMData
import RBMStore
@testable import RBMExperiments

/// FPCD, parallel tempering and centering as a user runs them: config keys and their checks,
/// the checkpoint (fast weights, every temperature's chains, offsets), exact resumption, and
/// the swap rates recorded.
@Suite(.serialized) struct SamplerRunTests {
    func quiet(_ config: ExperimentConfig, resume: Bool = false) -> TrainingRun {
        TrainingRun(config: config, resume: resume, log: { _ in }, progress: ProgressLine(enabled: false))
    }

    /// N epochs straight against N − k, stop, resume for k, through checkpoint.h5: the same
    /// bits, for each sampler with and without centering. The checkpoint holds what the
    /// sampler carries.
    @Test(arguments: ["fpcd", "pt", "pt+base", "pcd+centering", "fpcd+centering", "pt+centering", "pt+gaussian", "pcd+variance", "cd+langevin"])
    func stoppingAndResumingEverySamplerGivesTheSameWeights(variant: String) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let sampler = String(variant.split(separator: "+")[0])
        var common = ["training.sampler=\(sampler)", "training.epochs=5", "model.centering=\(variant.hasSuffix("+centering"))",
                      "training.temperatures=3", "training.min_inverse_temperature=0.7", "training.fast_learning_rate=0.05",
                      "output.features=false", "output.pictures=false"]
        if variant.hasSuffix("+gaussian") || variant.hasSuffix("+variance") || variant.hasSuffix("+langevin") {
            common += ["model.visible=gaussian", "data.binarization=none", "training.learning_rate=0.01"]
        }
        if variant.hasSuffix("+variance") { common += ["model.learn_variance=true", "training.variance_learning_rate=0.05"] }
        if variant.hasSuffix("+base") { common += ["training.tempering_base=data"] }
        if variant.hasSuffix("+langevin") {
            common += ["training.langevin_steps=3", "training.chain_start=noise", "training.clip_norm=1"]
        }
        let (straight, resumed) = try runStraightAndResumed(in: folder, common, stopAfter: 3)
        #expect(resumed.model == straight.model)
        let a = try Checkpoint.read(path: straight.folder + "/checkpoint.h5")
        let b = try Checkpoint.read(path: resumed.folder + "/checkpoint.h5")
        #expect(a.state == b.state)
        #expect((a.state.fastParameters != nil) == (sampler == "fpcd"))
        #expect((a.state.hiddenOffsets != nil) == variant.hasSuffix("+centering"))
        #expect((a.model.visibleLogVariance != nil && a.state.logVarianceVelocity != nil) == variant.hasSuffix("+variance"))
        if let z = a.model.visibleLogVariance { #expect(z.contains { abs($0) > 1e-3 }, "the variances should have moved: \(z)") }
        if sampler == "pt" {
            #expect(a.inverseTemperatures == [1, 0.85, 0.7])
            // 10 rows × 3 temperatures of chains, and every pair's swap rate in tempering.csv.
            #expect(a.state.chainVisible?.count == 30 * 36)
            let rates = try String(contentsOfFile: straight.folder + "/tempering.csv", encoding: .utf8).split(separator: "\n")
            #expect(rates.count == 6 && rates[0] == "epoch,swap_1.0_0.85,swap_0.85_0.7", "\(rates)")
            #expect(straight.history.last?.swapAcceptanceMean.map { $0 > 0 && $0 <= 1 } == true)
        }
    }

    @Test func samplerKeysAreCheckedAndNamed() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        #expect { try folder.config(["training.sampler=tempering"]) } throws: { error in
            "\(error)".contains("training.sampler") && "\(error)".contains("pt") && "\(error)".contains("fpcd")
        }
        #expect(try folder.config(["training.sampler=pt", "model.visible=gaussian", "data.binarization=none"]).training.sampler
                == .parallelTempering, "parallel tempering takes every kind of visible unit")
        #expect { try folder.config(["training.fast_decay=1.5"]) } throws: { error in "\(error)".contains("training.fast_decay") }
        #expect { try folder.config(["training.min_inverse_temperature=0"]) } throws: { error in
            "\(error)".contains("training.min_inverse_temperature")
        }
        #expect { try folder.config(["model.centering_rate=0"]) } throws: { error in "\(error)".contains("model.centering_rate") }
        let geometric = try folder.config(["training.sampler=pt", "training.temperatures=4", "training.min_inverse_temperature=0.125",
                                           "training.temperature_spacing=geometric"])
        #expect(geometric.inverseTemperatures == [1, 0.5, 0.25, 0.125])
        #expect(geometric.training.temperingBase == ExperimentConfig.TemperingBase.none, "the hot end stays uniform unless asked")
        #expect { try folder.config(["training.tempering_base=uniform"]) } throws: { error in
            "\(error)".contains("training.tempering_base") && "\(error)".contains("data") && "\(error)".contains("none")
        }
        #expect { try folder.config(["training.sampler=pt", "training.tempering_base=data", "model.visible=gaussian",
                                     "data.binarization=none", "model.learn_variance=true"]) } throws: { error in
            "\(error)".contains("training.tempering_base") && "\(error)".contains("learned variances")
        }
    }

    /// `training.tempering_base: data` gives the trainer AIS's base rates from the training
    /// marginals (the logits of each pixel's mean, computed here independently), `none` no base.
    @Test func temperingBaseComesFromTheTrainingMarginals() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=pt", "training.epochs=1", "training.temperatures=3", "data.validation=0", "output.features=false",
                      "output.pictures=false"]
        var run = try quiet(folder.config(common + ["training.tempering_base=data"]))
        let session = try run.prepare()
        let base = try #require(session.trainer.configuration.temperingBase)
        var notes: [String] = []
        let data = try IDXFolder.loadPair(folder: folder.dataPath, prefix: "train", notes: &notes)
        let columns = data.featureCount
        for i in [0, columns / 2, columns - 1] {
            let mean = (0..<data.count).reduce(0.0) { $0 + Double(data.values[$1 * columns + i]) } / Double(data.count)
            let clipped = min(max(mean, 1e-3), 1 - 1e-3)
            #expect(abs(Double(base[i]) - log(clipped / (1 - clipped))) < 1e-3, "unit \(i): \(base[i]) for mean \(mean)")
        }
        var uniformRun = try quiet(folder.config(common + ["output.name=none"]))
        #expect(try uniformRun.prepare().trainer.configuration.temperingBase == nil)
    }

    /// A centred run's checkpoint holds an ordinary RBM: its features are P(h|v) = σ(vW + c)
    /// of the stored plain parameters, and it learns the synthetic bars.
    @Test func aCentredRunLearnsAndStoresPlainParameters() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let result = try quiet(folder.config(["model.centering=true", "training.sampler=pcd", "output.pictures=false"])).run()
        #expect(result.history.last!.reconstructionError < 0.75 * result.history.first!.reconstructionError,
                "\(result.history.map(\.reconstructionError))")
        let checkpoint = try Checkpoint.read(path: result.folder + "/checkpoint.h5")
        let features = try HDF5File.openReadOnly(path: result.folder + "/features.h5").readFloats("/test/features").values
        let test = try SyntheticIDXFolder.testRows(folder)
        let model = checkpoint.model
        let row = test[0]
        var expected: [Double] = []
        for j in 0..<model.hiddenCount {
            var x = Double(model.hiddenBias[j])
            for i in 0..<model.visibleCount { x += Double(row[i]) * Double(model.weights[i * model.hiddenCount + j]) }
            expected.append(1 / (1 + exp(-x)))
        }
        #expect(zip(features.prefix(model.hiddenCount), expected).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }
}

extension SyntheticIDXFolder {
    /// The test split's rows as the features file reads them (pixel intensities / 255).
    static func testRows(_ folder: SyntheticIDXFolder) throws -> [[Float]] {
        let splits = try DataLoader.load(try folder.config().data)
        let rows = try splits.test!.firstRows(2)
        let width = rows.featureCount
        var result: [[Float]] = []
        for index in 0..<rows.count { result.append(Array(rows.values[(index * width)..<((index + 1) * width)])) }
        return result
    }
}

/// `training.hidden_blocks` as a user sets it: checked against the model and the sampler, and a
/// blocked run stops and resumes to the same bits as one run straight through.
/// The run `common` names straight through (output.name=straight), and stopped after
/// `stopAfter` epochs then resumed (output.name=cut), both quiet.
func runStraightAndResumed(in folder: SyntheticIDXFolder, _ common: [String], stopAfter epochs: Int) throws
    -> (straight: RunResult, resumed: RunResult) {
    func quiet(_ config: ExperimentConfig, resume: Bool = false) -> TrainingRun {
        TrainingRun(config: config, resume: resume, log: { _ in }, progress: ProgressLine(enabled: false))
    }
    let straight = try quiet(folder.config(common + ["output.name=straight"])).run()
    _ = try quiet(folder.config(common + ["output.name=cut", "training.epochs=\(epochs)"])).run()
    let resumed = try quiet(folder.config(common + ["output.name=cut"]), resume: true).run()
    return (straight, resumed)
}

@Suite(.serialized) struct HiddenBlockRunTests {
    @Test func hiddenBlocksAreCheckedAgainstTheModelAndTheSampler() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        #expect { try folder.config(["model.hidden=64", "training.hidden_blocks=3"]) } throws: { error in
            "\(error)".contains("training.hidden_blocks") && "\(error)".contains("at most 2")
        }
        #expect { try folder.config(["training.hidden_blocks=0"]) } throws: { error in "\(error)".contains("training.hidden_blocks") }
        #expect { try folder.config(["model.hidden=64", "training.hidden_blocks=2", "training.sampler=pt"]) } throws: { error in
            "\(error)".contains("training.hidden_blocks") && "\(error)".contains("parallel tempering")
        }
        let config = try folder.config(["model.hidden=64", "training.hidden_blocks=2"])
        #expect(config.trainerConfiguration().hiddenBlocks == 2)
    }

    @Test(arguments: ["cd", "pcd"])
    func aBlockedRunStopsAndResumesToTheSameBits(sampler: String) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=\(sampler)", "training.epochs=4", "model.hidden=70", "training.hidden_blocks=3",
                      "training.shards=1", "output.features=false", "output.pictures=false"]
        let (straight, resumed) = try runStraightAndResumed(in: folder, common, stopAfter: 2)
        #expect(resumed.model == straight.model)
        let a = try Checkpoint.read(path: straight.folder + "/checkpoint.h5")
        let b = try Checkpoint.read(path: resumed.folder + "/checkpoint.h5")
        #expect(a.state == b.state)
        let written = try String(contentsOfFile: straight.folder + "/config.yaml", encoding: .utf8)
        #expect(written.contains("hidden_blocks: 3"))
        // It learned: the last epoch's reconstruction error is below the first's.
        #expect(straight.history.last!.reconstructionError < straight.history.first!.reconstructionError)
    }
}

/// `training.visible_blocks` through the config and a run: its rules are config errors naming
/// the key, too many blocks for the data is an error before training, and a blocked run stops
/// and resumes to the same bits.
@Suite(.serialized) struct VisibleBlockRunTests {
    func quiet(_ config: ExperimentConfig, resume: Bool = false) -> TrainingRun {
        TrainingRun(config: config, resume: resume, log: { _ in }, progress: ProgressLine(enabled: false))
    }

    @Test func visibleBlocksAreCheckedAgainstTheOtherKeys() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let one = ["training.shards=1"]
        #expect { try folder.config(one + ["training.visible_blocks=0"]) } throws: { error in "\(error)".contains("training.visible_blocks") }
        #expect { try folder.config(["training.shards=2", "training.visible_blocks=2"]) } throws: { error in
            "\(error)".contains("training.visible_blocks") && "\(error)".contains("training.shards: 1")
        }
        #expect { try folder.config(one + ["model.hidden=64", "training.hidden_blocks=2", "training.visible_blocks=2"]) } throws: { error in
            "\(error)".contains("training.visible_blocks") && "\(error)".contains("hidden_blocks")
        }
        #expect { try folder.config(one + ["training.sampler=fpcd", "training.visible_blocks=2"]) } throws: { error in
            "\(error)".contains("training.visible_blocks") && "\(error)".contains("cd and pcd")
        }
        #expect { try folder.config(one + ["model.centering=true", "training.visible_blocks=2"]) } throws: { error in
            "\(error)".contains("training.visible_blocks") && "\(error)".contains("centering")
        }
        #expect { try folder.config(one + ["model.visible=gaussian", "data.binarization=none", "training.visible_blocks=2"]) } throws: { error in
            "\(error)".contains("training.visible_blocks") && "\(error)".contains("Bernoulli")
        }
        let config = try folder.config(one + ["training.visible_blocks=2"])
        #expect(config.trainerConfiguration().visibleBlocks == 2)
    }

    @Test func tooManyVisibleBlocksForTheDataIsAnErrorBeforeTraining() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let config = try folder.config(["training.shards=1", "training.visible_blocks=100", "output.name=many"])
        #expect { try quiet(config).run() } throws: { error in
            "\(error)".contains("training.visible_blocks") && "\(error)".contains("at most")
        }
    }

    @Test(arguments: ["cd", "pcd"])
    func aBlockedRunStopsAndResumesToTheSameBits(sampler: String) throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let common = ["training.sampler=\(sampler)", "training.epochs=4", "model.hidden=40", "training.visible_blocks=2",
                      "training.shards=1", "training.batch_size=5", "output.features=false", "output.pictures=false"]
        let (straight, resumed) = try runStraightAndResumed(in: folder, common, stopAfter: 2)
        #expect(resumed.model == straight.model)
        let a = try Checkpoint.read(path: straight.folder + "/checkpoint.h5")
        let b = try Checkpoint.read(path: resumed.folder + "/checkpoint.h5")
        #expect(a.state == b.state)
        let written = try String(contentsOfFile: straight.folder + "/config.yaml", encoding: .utf8)
        #expect(written.contains("visible_blocks: 2"))
        #expect(straight.history.last!.reconstructionError < straight.history.first!.reconstructionError)
    }
}
