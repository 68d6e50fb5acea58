import Testing
@testable import RBM

/// `training.layout: auto`: the layout chosen for the shapes, the sampler and the cores — the
/// splits docs/performance.md measured fastest — always one the rule book accepts, and never
/// depending on the worker count.
@Suite struct AutomaticLayoutTests {
    func configuration(batch: Int = 100, _ sampler: SamplerKind = .contrastiveDivergence, centering: Bool = false,
                       workers: Int = 2) -> TrainerConfiguration {
        var configuration = TrainerConfiguration(batchSize: batch, shards: 1, workers: workers, sampler: sampler,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 1)
        configuration.centering = centering
        if sampler == .parallelTempering { configuration.inverseTemperatures = [1, 0.9, 0.8] }
        return configuration
    }

    func layout(_ configuration: TrainerConfiguration, visible: Int? = 784, hidden: Int = 500,
                units: VisibleUnits = .bernoulli, cores: Int = 2, ranks: Int = 1) -> StepLayout {
        configuration.automaticLayout(visibleCount: visible, hiddenCount: hidden, visibleUnits: units, cores: cores, ranks: ranks)
    }

    @Test func aBatchOfAHundredIsOneShardCutIntoAHiddenBlockPerCore() {
        #expect(layout(configuration()) == StepLayout(shards: 1, hiddenBlocks: 2))
        #expect(layout(configuration(.persistentContrastiveDivergence), cores: 4) == StepLayout(shards: 1, hiddenBlocks: 4))
        // Non-binary units split by rows (categorical units measured slower in hidden blocks).
        #expect(layout(configuration(), units: .gaussian) == StepLayout(shards: 2))
        #expect(layout(configuration(), units: .categorical(states: 4)) == StepLayout(shards: 2))
    }

    @Test func aFewRowsAreOneShardCutIntoAVisibleBlockPerCore() {
        #expect(layout(configuration(batch: 5), hidden: 128) == StepLayout(shards: 1, visibleBlocks: 2))
        // Visible blocks are for Bernoulli units, and need 32 visible units per core.
        #expect(layout(configuration(batch: 5), hidden: 128, units: .gaussian) == StepLayout(shards: 2))
        #expect(layout(configuration(batch: 5), visible: 40, hidden: 128) == StepLayout(shards: 1, hiddenBlocks: 2))
    }

    @Test func updatesThatNeedTotalsOrTemperedChainsSplitByRows() {
        #expect(layout(configuration(.fastPersistentContrastiveDivergence)) == StepLayout(shards: 2))
        #expect(layout(configuration(.parallelTempering)) == StepLayout(shards: 2))
        #expect(layout(configuration(.persistentContrastiveDivergence), units: .gaussian) == StepLayout(shards: 2))
    }

    /// Centering's totals are per hidden unit (and Σ(v⁰ − vᵏ), which every block forms): a
    /// block per core centres its own columns in place; visible blocks stay plain.
    @Test func centredUpdatesAreOneShardCutIntoAHiddenBlockPerCore() {
        #expect(layout(configuration(centering: true)) == StepLayout(shards: 1, hiddenBlocks: 2))
        #expect(layout(configuration(batch: 5, centering: true)) == StepLayout(shards: 1, hiddenBlocks: 2))
        #expect(layout(configuration(centering: true), units: .gaussian) == StepLayout(shards: 2))
        var resolved = configuration(centering: true)
        resolved.layout = layout(resolved)
        #expect(StepPlan(resolved, ranks: 1) == StepPlan(layout: .hiddenBlocks, update: .inPlace))
    }

    @Test func largeBatchesSmallLayersOneCoreAndSeveralRanksSplitByRows() {
        #expect(layout(configuration(batch: 1000)) == StepLayout(shards: 2))
        #expect(layout(configuration(), hidden: 40) == StepLayout(shards: 2))
        #expect(layout(configuration(), cores: 1) == StepLayout(shards: 1))
        #expect(layout(configuration(), ranks: 2) == StepLayout(shards: 4))
        #expect(layout(configuration(batch: 3), ranks: 2) == StepLayout(shards: 3))
        #expect(layout(configuration(batch: 1)) == StepLayout(shards: 1, visibleBlocks: 2))
        #expect(layout(configuration(batch: 1, centering: true)) == StepLayout(shards: 1, hiddenBlocks: 2))
    }

    @Test func theWorkerCountNeverChangesTheLayout() {
        for batch in [1, 5, 100, 1000] {
            let reference = layout(configuration(batch: batch, workers: 1))
            for workers in [2, 3, 8] { #expect(layout(configuration(batch: batch, workers: workers)) == reference) }
        }
    }

    /// Over a grid of shapes, samplers, units, cores and ranks, the chosen layout breaks no rule.
    @Test func everyAutomaticLayoutKeepsTheRuleBook() {
        let samplers: [SamplerKind] = [.contrastiveDivergence, .persistentContrastiveDivergence,
                                       .fastPersistentContrastiveDivergence, .parallelTempering]
        var checked = 0
        for batch in [1, 2, 5, 32, 33, 100, 501, 1000] {
            for hidden in [1, 31, 64, 100, 500] {
                for visible in [nil, 20, 64, 784] as [Int?] {
                    for units in [VisibleUnits.bernoulli, .gaussian, .categorical(states: 4)] {
                        for sampler in samplers {
                            for centering in [false, true] where !(centering && sampler == .parallelTempering) {
                                for cores in 1...5 {
                                    for ranks in 1...3 where ranks <= batch {
                                        var chosen = configuration(batch: batch, sampler, centering: centering)
                                        chosen.layout = layout(chosen, visible: visible, hidden: hidden, units: units,
                                                               cores: cores, ranks: ranks)
                                        // Parallel tempering refuses non-binary units whatever the layout.
                                        let problems = chosen.problems(visibleCount: visible, hiddenCount: hidden,
                                                                       visibleUnits: units, ranks: ranks)
                                            .filter { !($0.keys.contains("model.visible") && $0.keys.contains("training.sampler")) }
                                        #expect(problems.isEmpty, "\(chosen.layout) for batch \(batch), \(visible ?? 0)→\(hidden), \(units), \(sampler), \(cores) cores, \(ranks) ranks: \(problems)")
                                        checked += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(checked > 10_000)
    }
}
