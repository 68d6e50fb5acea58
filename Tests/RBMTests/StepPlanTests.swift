import Testing
@testable import RBM

/// The step's layout and update mode are resolved once, from the configuration and the ranks,
/// into the plan `update` switches over.
@Suite struct StepPlanTests {
    func configuration(_ sampler: SamplerKind = .contrastiveDivergence, shards: Int = 2, hiddenBlocks: Int = 1,
                       visibleBlocks: Int = 1, centering: Bool = false) -> TrainerConfiguration {
        var configuration = TrainerConfiguration(batchSize: 20, shards: shards, workers: 2, sampler: sampler,
                                                 gibbsSteps: 1, weightDecay: 0, seed: 1)
        configuration.hiddenBlocks = hiddenBlocks
        configuration.visibleBlocks = visibleBlocks
        configuration.centering = centering
        return configuration
    }

    @Test func eachLayoutAndUpdateModeIsChosenOnce() {
        #expect(StepPlan(configuration(), ranks: 1) == StepPlan(layout: .rowShards, update: .reduceAndApply))
        #expect(StepPlan(configuration(centering: true), ranks: 1) == StepPlan(layout: .rowShards, update: .fromTotals))
        #expect(StepPlan(configuration(.fastPersistentContrastiveDivergence), ranks: 1) == StepPlan(layout: .rowShards, update: .fromTotals))
        #expect(StepPlan(configuration(), ranks: 2) == StepPlan(layout: .rowShards, update: .acrossRanks))
        #expect(StepPlan(configuration(shards: 1, hiddenBlocks: 2), ranks: 1) == StepPlan(layout: .hiddenBlocks, update: .inPlace))
        #expect(StepPlan(configuration(shards: 2, hiddenBlocks: 2), ranks: 1) == StepPlan(layout: .hiddenBlocks, update: .reduceAndApply))
        // One shard's blocks centre their own columns in place; two shards' blocks sum first.
        #expect(StepPlan(configuration(shards: 1, hiddenBlocks: 2, centering: true), ranks: 1)
                == StepPlan(layout: .hiddenBlocks, update: .inPlace))
        #expect(StepPlan(configuration(shards: 2, hiddenBlocks: 2, centering: true), ranks: 1)
                == StepPlan(layout: .hiddenBlocks, update: .fromTotals))
        #expect(StepPlan(configuration(.fastPersistentContrastiveDivergence, shards: 1, hiddenBlocks: 2, centering: true), ranks: 1)
                == StepPlan(layout: .hiddenBlocks, update: .fromTotals))
        #expect(StepPlan(configuration(shards: 2, hiddenBlocks: 2), ranks: 2) == StepPlan(layout: .hiddenBlocks, update: .acrossRanks))
        #expect(StepPlan(configuration(shards: 1, visibleBlocks: 2), ranks: 1) == StepPlan(layout: .visibleBlocks, update: .inPlace))
    }

    /// The trainer carries the plan its configuration resolves to.
    @Test func theTrainerRunsThePlanOfItsConfiguration() {
        let model = RBMModel.initialized(visibleCount: 64, hiddenCount: 64, seed: 3)
        for configuration in [configuration(), configuration(shards: 1, hiddenBlocks: 2), configuration(shards: 1, visibleBlocks: 2)] {
            let trainer = DataParallelTrainer(model: model, configuration: configuration)
            #expect(trainer.plan == StepPlan(configuration, ranks: 1))
        }
    }
}
