import Foundation
import Testing
import RBM
import RBMStore
@testable import RBMExperiments

/// `training.layout`: automatic unless a layout key is written, refused beside a key at the same
/// level, settled into concrete keys that the run records and trains with, and continued from
/// the checkpoint when a run resumes.
@Suite(.serialized) struct LayoutConfigTests {
    func parse(_ text: String, overrides: [String] = []) throws(ConfigError) -> ExperimentConfig {
        try ConfigLoader.parse(text, file: "exp.yaml", overrides: overrides)
    }

    @Test func aConfigWithoutLayoutKeysIsAutomaticAndOneWithAnyIsManual() throws {
        #expect(try parse("").training.layout == .auto)
        #expect(try parse("training:\n  batch_size: 5\n").training.layout == .auto)
        let written = try parse("training:\n  hidden_blocks: 2\n")
        #expect(written.training.layout == .manual && written.training.hiddenBlocks == 2 && written.training.shards == 2)
        let bySet = try parse("", overrides: ["training.shards=4"])
        #expect(bySet.training.layout == .manual && bySet.training.shards == 4)
        // --set overrides a layout the file wrote.
        let overridden = try parse("training:\n  layout: auto\n", overrides: ["training.shards=4"])
        #expect(overridden.training.layout == .manual && overridden.training.shards == 4)
        #expect(ConfigLoader.render(try parse("")).contains("  layout: auto\n"))
    }

    @Test func autoBesideALayoutKeyIsRefusedNamingBoth() {
        for (text, overrides, source) in [("training:\n  layout: auto\n  visible_blocks: 2\n", [String](), "exp.yaml"),
                                          ("", ["training.layout=auto", "training.shards=3"], "--set")] {
            do {
                _ = try parse(text, overrides: overrides)
                Issue.record("expected a refusal for \(text) \(overrides)")
            } catch {
                let message = "\(error)"
                #expect(message.contains("\(source): training.layout"), "\(message)")
                #expect(message.contains(overrides.isEmpty ? "training.visible_blocks" : "training.shards"), "\(message)")
                #expect(message.contains("training.layout: manual"), "\(message)")
            }
        }
    }

    @Test func settlingWritesTheChosenKeysAndMarksTheLayoutManual() throws {
        let config = try parse("model:\n  hidden: 500\ntraining:\n  batch_size: 100\n  sampler: cd\n")
        let settled = config.settlingLayout(visibleCount: 784, cores: 2)
        #expect(settled.training.layout == .manual)
        #expect((settled.training.shards, settled.training.hiddenBlocks, settled.training.visibleBlocks) == (1, 2, 1))
        #expect(settled.settlingLayout(visibleCount: 784, cores: 7) == settled)
        // What the run folder keeps parses back to the same settled config.
        #expect(try parse(ConfigLoader.render(settled)) == settled)
        // A manual config is never changed.
        let manual = try parse("training:\n  shards: 3\n")
        #expect(manual.settlingLayout(visibleCount: 784, cores: 2) == manual)
    }

    @Test func theSeedExperimentSettlesToTheVisibleBlocksItUsedToWrite() throws {
        let seed = try ConfigLoader.load(path: repositoryRoot + "/experiments/seed-mnist.yaml")
        #expect(seed.training.layout == .auto)
        let settled = seed.settlingLayout(visibleCount: 784, cores: 2)
        #expect((settled.training.shards, settled.training.hiddenBlocks, settled.training.visibleBlocks) == (1, 1, 2))
        // A second layer on 32 features: no visible blocks, no error.
        let secondLayer = seed.settlingLayout(visibleCount: 32, cores: 2)
        #expect(secondLayer.trainerConfiguration().problems(visibleCount: 32, hiddenCount: seed.model.hidden).isEmpty)
        // The shipped experiments leave the layout to the machine.
        for name in ["default", "mnist-pcd-500", "mnist-reproduce", "fashion-gaussian", "fashion-gaussian-learned", "fashion-categorical", "dbn-layer1"] {
            #expect(try ConfigLoader.load(path: repositoryRoot + "/experiments/\(name).yaml").training.layout == .auto, "\(name)")
        }
    }

    func autoConfig(_ folder: SyntheticIDXFolder, name: String, _ overrides: [String] = []) throws -> ExperimentConfig {
        try ConfigLoader.parse("""
            data:
              path: "\(folder.dataPath)"
              validation: 40
            model:
              hidden: 64
            training:
              sampler: pcd
              epochs: 2
              batch_size: 10
              learning_rate: 0.1
            evaluation:
              monitor_samples: 100
            output:
              folder: "\(folder.path)/runs"
              name: \(name)
              pictures: false
              features: false
            """, file: "auto.yaml", overrides: overrides)
    }

    func train(_ config: ExperimentConfig, resume: Bool = false, log: @escaping (String) -> Void = { _ in }) throws -> RunResult {
        try TrainingRun(config: config, resume: resume, log: log, progress: ProgressLine(enabled: false)).run()
    }

    /// An automatic run records the layout it chose and computes what the same keys written by
    /// hand compute, bit for bit.
    @Test func anAutomaticRunRecordsItsLayoutAndEqualsTheManualRunOfIt() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        var lines: [String] = []
        let automatic = try train(try autoConfig(folder, name: "auto"), log: { lines.append($0) })
        let expected = try autoConfig(folder, name: "auto").settlingLayout(visibleCount: 36, cores: availableCores)
        let recorded = try ConfigLoader.load(path: folder.path + "/runs/auto/config.yaml")
        #expect(recorded.training.layout == .manual)
        #expect(recorded.trainerConfiguration().layout == expected.trainerConfiguration().layout)
        #expect(lines.first?.contains("\(expected.trainerConfiguration().layout) (layout auto)") == true, "\(lines.first ?? "")")
        let layout = expected.trainerConfiguration().layout
        let manual = try train(try autoConfig(folder, name: "manual", [
            "training.shards=\(layout.shards)", "training.hidden_blocks=\(layout.hiddenBlocks)",
            "training.visible_blocks=\(layout.visibleBlocks)"]))
        #expect(automatic.model == manual.model)
        #expect(automatic.history.map(\.reconstructionError) == manual.history.map(\.reconstructionError))
    }

    /// A run started with a layout written by hand and resumed from a config that writes none
    /// continues with the checkpoint's layout: the same model as the run straight through.
    @Test func resumingAnAutomaticConfigContinuesWithTheCheckpointsLayout() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let straight = try train(try autoConfig(folder, name: "straight", ["training.shards=3"]))
        _ = try train(try autoConfig(folder, name: "resumed", ["training.shards=3", "training.epochs=1"]))
        var lines: [String] = []
        let resumed = try train(try autoConfig(folder, name: "resumed"), resume: true, log: { lines.append($0) })
        #expect(resumed.model == straight.model)
        #expect(lines.first?.contains("3 shards (the checkpoint's layout)") == true, "\(lines.first ?? "")")
        let checkpoint = try Checkpoint.read(path: folder.path + "/runs/resumed/checkpoint.h5")
        #expect(checkpoint.epoch == 2 && checkpoint.config.contains("shards: 3"))
    }
}
