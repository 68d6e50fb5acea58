import Foundation
import Testing
import RBM
@testable import RBMExperiments

/// The repository root, for the shipped configs.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

@Suite struct ConfigTests {
    func parse(_ text: String, overrides: [String] = []) throws(ConfigError) -> ExperimentConfig {
        try ConfigLoader.parse(text, file: "exp.yaml", overrides: overrides)
    }

    func error(_ text: String, overrides: [String] = []) -> ConfigError? {
        do { _ = try parse(text, overrides: overrides); return nil } catch { return error }
    }

    /// model.learn_variance: read with its rate and floor into the trainer's configuration; on
    /// Bernoulli units, or with hidden blocks, an error naming the file and the key.
    @Test func learnedVariancesAreReadAndRefusedWhereTheyCannotWork() throws {
        let config = try parse("model:\n  visible: gaussian\n  learn_variance: true\n  min_variance: 0.05\n"
                               + "data:\n  binarization: none\ntraining:\n  learning_rate: 0.002\n  learning_rate_decay: linear\n"
                               + "  final_learning_rate: 0.001\n  epochs: 3\n  variance_learning_rate: 0.01\n")
        let trainer = config.trainerConfiguration()
        #expect(trainer.learnsVariance && trainer.minimumVariance == 0.05)
        #expect(config.varianceLearningRate(epoch: 0) == 0.01 && abs(config.varianceLearningRate(epoch: 2) - 0.005) < 1e-12)
        #expect(try parse("model:\n  visible: gaussian\n  learn_variance: true\ndata:\n  binarization: none\n")
            .varianceLearningRate(epoch: 0) - 0.05 < 1e-12, "the default follows training.learning_rate")
        guard case let .inconsistent(location, reason) = error("model:\n  learn_variance: true\n") else {
            Issue.record("learned variances on Bernoulli units should be refused"); return
        }
        #expect(location.file == "exp.yaml" && location.keyPath == "model.learn_variance" && reason.contains("Gaussian visible units"),
                "\(location): \(reason)")
        guard case let .inconsistent(blocks, _) = error(
            "model:\n  visible: gaussian\n  learn_variance: true\ndata:\n  binarization: none\ntraining:\n  hidden_blocks: 2\n")
        else { Issue.record("learned variances with hidden blocks should be refused"); return }
        #expect(blocks.keyPath == "training.hidden_blocks")
        #expect(error("model:\n  min_variance: 0\n") != nil)

        let langevin = try parse("model:\n  visible: gaussian\ndata:\n  binarization: none\ntraining:\n  sampler: cd\n"
                                 + "  langevin_steps: 10\n  langevin_step_size: 0.2\n  langevin_adjust: true\n  chain_start: noise\n"
                                 + "  clip_norm: 10\n")
            .trainerConfiguration()
        #expect(langevin.langevinSteps == 10 && langevin.langevinStepSize == 0.2 && langevin.chainStart == .noise && langevin.clipNorm == 10)
        #expect(langevin.langevinAdjusted)
        guard case let .inconsistent(adjust, _) = error("model:\n  visible: gaussian\ndata:\n  binarization: none\n"
                                                        + "training:\n  langevin_adjust: true\n") else {
            Issue.record("an adjustment without Langevin steps should be refused"); return
        }
        #expect(adjust.keyPath == "training.langevin_adjust")
        guard case let .inconsistent(start, _) = error("training:\n  sampler: cd\n  chain_start: noise\n") else {
            Issue.record("chains from noise for Bernoulli units should be refused"); return
        }
        #expect(start.keyPath == "training.chain_start")
        #expect(error("training:\n  chain_start: somewhere\n") != nil)
    }

    @Test func anEmptyConfigTakesEveryDefault() throws {
        #expect(try parse("") == ExperimentConfig())
        #expect(try parse("training:\n") == ExperimentConfig())
    }

    @Test func shippedConfigsParseWithTheirDocumentedSettings() throws {
        let defaults = try ConfigLoader.load(path: repositoryRoot + "/experiments/default.yaml")
        #expect(defaults.model.hidden == 500 && defaults.training.sampler == .persistentContrastiveDivergence)
        #expect(defaults.data.path == "/usr/share/datasets/fashion-mnist")
        #expect(defaults.output.name == "default")
        let seed = try ConfigLoader.load(path: repositoryRoot + "/experiments/seed-mnist.yaml")
        #expect(seed.model.hidden == 128 && seed.training.sampler == .contrastiveDivergence)
        #expect(seed.training.batchSize == 5 && seed.training.epochs == 10 && seed.training.learningRate == 0.01)
        #expect(seed.data.binarization == .stochastic)
    }

    @Test func valuesAreReadIntoTheirFields() throws {
        let config = try parse("""
            training:
              sampler: cd
              gibbs_steps: 3
              learning_rate: 0.2
              workers: 3
              seed: 18446744073709551615
            data:
              binarization: threshold
            """)
        #expect(config.training.sampler == .contrastiveDivergence && config.training.gibbsSteps == 3)
        #expect(config.training.learningRate == 0.2 && config.training.workers == 3)
        #expect(config.training.seed == .max && config.data.binarization == .threshold)
    }

    @Test func misspeltKeyNamesFileLinePathAndTheNearestKey() {
        let problem = error("model:\n  hidden: 10\ntraining:\n  learnin_rate: 0.1\n")
        guard case let .unknownKey(location, suggestion, _) = problem else {
            Issue.record("expected unknownKey, got \(String(describing: problem))"); return
        }
        #expect(location == ConfigLocation(file: "exp.yaml", keyPath: "training.learnin_rate", line: 4))
        #expect(suggestion == "learning_rate")
        let message = "\(problem!)"
        #expect(message.contains("exp.yaml:4: training.learnin_rate") && message.contains("did you mean 'learning_rate'"))
    }

    @Test func misspeltSectionSuggestsTheSection() {
        guard case let .unknownKey(location, suggestion, _) = error("trainig:\n  epochs: 3\n") else {
            Issue.record("expected unknownKey"); return
        }
        #expect(location.keyPath == "trainig" && suggestion == "training")
    }

    @Test func wrongTypesAreErrors() {
        #expect({ if case .wrongType(let l, _, let found) = error("model:\n  hidden: many\n") {
            return l.keyPath == "model.hidden" && found == "'many'" } else { return false } }())
        #expect({ if case .wrongType = error("model:\n  hidden: 2.5\n") { return true } else { return false } }())
        #expect({ if case .wrongType = error("training:\n  epochs: [1, 2]\n") { return true } else { return false } }())
        #expect({ if case .notAMapping = error("training: 5\n") { return true } else { return false } }())
        #expect({ if case .notAMapping = error("- a\n- b\n") { return true } else { return false } }())
    }

    @Test(arguments: [
        "training:\n  learning_rate: -0.1", "training:\n  learning_rate: 0", "training:\n  learning_rate: .nan",
        "training:\n  batch_size: 0", "training:\n  gibbs_steps: 0", "training:\n  gibbs_steps: -1",
        "model:\n  hidden: 0", "training:\n  momentum: 1.0", "training:\n  weight_decay: -1",
        "training:\n  sampler: gibbs", "training:\n  seed: -4", "training:\n  workers: 0",
        "training:\n  learning_rate: .inf",
        // No monitoring samples would make every run look diverged (the free energy of none is NaN).
        "evaluation:\n  monitor_samples: 0",
        "evaluation:\n  ais_jumps: sometimes", "evaluation:\n  reverse_chains_per_point: 0",
    ])
    func outOfRangeValuesAreRejectedBeforeTraining(text: String) {
        guard case let .outOfRange(location, _, _) = error(text) else {
            Issue.record("expected outOfRange for \(text), got \(String(describing: error(text)))"); return
        }
        #expect(location.file == "exp.yaml" && location.line == 2)
    }

    @Test func reverseChainsPerPointReachesTheEvaluationOptions() throws {
        #expect(try parse("model:\n  hidden: 3\n").evaluationOptions(workers: 1).reverseChainsPerPoint
            == EvaluationOptions.defaultReverseChainsPerPoint)
        let config = try parse("evaluation:\n  reverse_chains_per_point: 5\n", overrides: ["evaluation.ais_runs=50"])
        let options = config.evaluationOptions(workers: 2)
        #expect(options.reverseChainsPerPoint == 5 && options.aisRuns == 50)
    }

    @Test func moreShardsThanRowsIsRejected() {
        guard case let .inconsistent(location, reason) = error("training:\n  batch_size: 4\n  shards: 8\n") else {
            Issue.record("expected inconsistent"); return
        }
        #expect(location.keyPath == "training.shards" && reason.contains("batch"))
    }

    @Test func duplicateKeysAreRejected() {
        // The YAML parser itself refuses them; either way the message names the key.
        let problem = error("model:\n  hidden: 3\n  hidden: 4\n")
        #expect(problem != nil && "\(problem!)".contains("hidden") && "\(problem!)".contains("exp.yaml"))
    }

    @Test func invalidYAMLNamesTheFile() {
        guard case let .invalidYAML(file, _) = error("model: [unclosed\n") else {
            Issue.record("expected invalidYAML"); return
        }
        #expect(file == "exp.yaml")
    }

    @Test func overridesSetKeysAndAreValidatedLikeTheFile() throws {
        let config = try parse("training:\n  learning_rate: 0.1\n",
                               overrides: ["training.learning_rate=0.05", "model.hidden = 64", "data.path='a b'"])
        #expect(config.training.learningRate == 0.05 && config.model.hidden == 64 && config.data.path == "a b")
        guard case let .unknownKey(location, suggestion, _) = error("", overrides: ["training.learningrate=1"]) else {
            Issue.record("expected unknownKey"); return
        }
        #expect(location.file == "--set" && suggestion == "training.learning_rate")
        #expect({ if case .badOverride = error("", overrides: ["training.epochs"]) { return true } else { return false } }())
        #expect({ if case .badOverride = error("", overrides: ["epochs=3"]) { return true } else { return false } }())
        #expect({ if case .outOfRange = error("", overrides: ["training.learning_rate=-1"]) { return true } else { return false } }())
    }

    @Test func renderedConfigParsesBackToTheSameConfig() throws {
        var config = ExperimentConfig()
        config.data.path = "/tmp/some folder/x"
        config.training.workers = 3
        config.training.learningRateDecay = .exponential
        config.output.name = "my-run"
        #expect(try parse(ConfigLoader.render(config)) == config)
    }

    @Test func missingFileIsAnErrorNamingIt() {
        #expect(throws: ConfigError.cannotRead(file: "/no/such/config.yaml", reason: "No such file or directory")) {
            try ConfigLoader.load(path: "/no/such/config.yaml")
        }
    }

    @Test func schedulesFollowTheirFormulas() throws {
        let config = try parse("""
            training:
              epochs: 5
              learning_rate: 0.1
              final_learning_rate: 0.001
              learning_rate_decay: exponential
              momentum: 0.5
              final_momentum: 0.9
              momentum_switch_epoch: 2
            """)
        #expect(abs(config.learningRate(epoch: 0) - 0.1) < 1e-12)
        #expect(abs(config.learningRate(epoch: 2) - 0.01) < 1e-12)
        #expect(abs(config.learningRate(epoch: 4) - 0.001) < 1e-12)
        #expect(config.momentum(epoch: 1) == 0.5 && config.momentum(epoch: 2) == 0.9)
        let linear = try parse("training:\n  epochs: 3\n  learning_rate: 0.3\n  final_learning_rate: 0.1\n  learning_rate_decay: linear\n")
        #expect(abs(linear.learningRate(epoch: 1) - 0.2) < 1e-12)
    }
}
