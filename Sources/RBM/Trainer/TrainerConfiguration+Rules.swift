/// A setting of the training step that breaks one of its rules: the config keys involved (the
/// first is the one to change) and why, in the words a config error shows.
public struct SettingProblem: Sendable, Equatable, CustomStringConvertible {
    public var keys: [String]
    public var reason: String

    public init(_ keys: [String], _ reason: String) {
        precondition(!keys.isEmpty, "a problem names at least one key")
        self.keys = keys
        self.reason = reason
    }

    /// "training.shards: 20 shards cannot split a batch of 10 rows; …".
    public var description: String { "\(keys[0]): \(reason)" }
}

extension TrainerConfiguration {
    /// The rule book: every rule the step's settings must keep, with the model's sizes, its
    /// visible units and the processes it runs on, in one place. The config loader maps each
    /// problem to the file, line or `--set` that gave its keys; the training session asks again
    /// once the data's width and the ranks are known; the trainer refuses to start with any;
    /// `rbm bench` checks its options with it. `visibleCount` nil: not known yet.
    public func problems(visibleCount: Int? = nil, hiddenCount: Int, visibleUnits: VisibleUnits = .bernoulli,
                         ranks: Int = 1) -> [SettingProblem] {
        var problems: [SettingProblem] = []
        func refuse(_ keys: String..., because reason: String) { problems.append(SettingProblem(keys, reason)) }

        if batchSize < 1 { refuse("training.batch_size", because: "must be at least 1 (got \(batchSize))") }
        if shards < 1 { refuse("training.shards", because: "must be at least 1 (got \(shards))") }
        if shards > batchSize && batchSize >= 1 {
            refuse("training.shards", "training.batch_size",
                   because: "\(shards) shards cannot split a batch of \(batchSize) rows; use at most training.batch_size shards")
        }
        if workers < 1 { refuse("training.workers", because: "must be at least 1 (got \(workers))") }
        if gibbsSteps < 1 { refuse("training.gibbs_steps", because: "must be at least 1 (got \(gibbsSteps))") }
        if !(weightDecay >= 0 && weightDecay.isFinite) { refuse("training.weight_decay", because: "must be a finite number ≥ 0") }
        if !(fastLearningRate >= 0 && fastLearningRate.isFinite) {
            refuse("training.fast_learning_rate", because: "must be a finite number ≥ 0")
        }
        if !(fastDecay >= 0 && fastDecay <= 1) { refuse("training.fast_decay", because: "must be in [0, 1]") }
        if !(centeringRate > 0 && centeringRate <= 1) { refuse("model.centering_rate", because: "must be in (0, 1]") }
        if ranks > shards {
            refuse("training.shards",
                   because: "\(ranks) ranks cannot share training.shards \(shards): each rank computes at least one shard (raise training.shards to a multiple of \(ranks))")
        }

        // Hidden blocks: at least 32 units each; not with parallel tempering's chains.
        let hiddenLimit = Self.maximumHiddenBlocks(hiddenCount: hiddenCount)
        if hiddenBlocks < 1 {
            refuse("training.hidden_blocks", because: "must be at least 1 (got \(hiddenBlocks))")
        } else if hiddenBlocks > hiddenLimit {
            refuse("training.hidden_blocks", "model.hidden",
                   because: "\(hiddenBlocks) hidden blocks cannot split \(hiddenCount) hidden units: each block holds at least 32, so use at most \(hiddenLimit)")
        }
        if hiddenBlocks > 1 && sampler == .parallelTempering {
            refuse("training.hidden_blocks", "training.sampler",
                   because: "training.hidden_blocks works with the cd, pcd and fpcd samplers; parallel tempering (training.sampler: pt) needs hidden_blocks: 1")
        }

        // Visible blocks: one shard of Bernoulli units under CD or PCD, no centering, 32 units each.
        if visibleBlocks < 1 {
            refuse("training.visible_blocks", because: "must be at least 1 (got \(visibleBlocks))")
        } else if visibleBlocks > 1 {
            if hiddenBlocks > 1 {
                refuse("training.visible_blocks", "training.hidden_blocks",
                       because: "training.visible_blocks and training.hidden_blocks are two ways to split the step: choose one (set the other to 1)")
            }
            if shards > 1 {
                refuse("training.visible_blocks", "training.shards",
                       because: "training.visible_blocks splits one shard: set training.shards: 1 (\(shards) now)")
            }
            if sampler != .contrastiveDivergence && sampler != .persistentContrastiveDivergence {
                refuse("training.visible_blocks", "training.sampler",
                       because: "training.visible_blocks works with the cd and pcd samplers (training.sampler: \(sampler.rawValue) now)")
            }
            if !visibleUnits.isBinary {
                refuse("training.visible_blocks", "model.visible",
                       because: "training.visible_blocks works with Bernoulli visible units (model.visible: bernoulli)")
            }
            if centering {
                refuse("training.visible_blocks", "model.centering",
                       because: "training.visible_blocks does not work with centering (model.centering: true)")
            }
            if let visibleCount, visibleBlocks > Self.maximumVisibleBlocks(visibleCount: visibleCount) {
                refuse("training.visible_blocks",
                       because: "\(visibleBlocks) blocks cannot split the data's \(visibleCount) visible units: each block holds at least 32, so use at most \(Self.maximumVisibleBlocks(visibleCount: visibleCount))")
            }
        }

        // Learned variances: Gaussian units, split by rows (the statistic needs whole rows of W).
        if learnsVariance {
            if !visibleUnits.learnsVariance {
                refuse("model.learn_variance", "model.visible",
                       because: "learned variances are for Gaussian visible units (model.visible: gaussian; now \(visibleUnits.name))")
            }
            if hiddenBlocks > 1 {
                refuse("training.hidden_blocks", "model.learn_variance",
                       because: "learned variances need whole rows of W in each shard: set training.hidden_blocks: 1 (or training.layout: auto)")
            }
            if !(minimumVariance > 0 && minimumVariance.isFinite) {
                refuse("model.min_variance", because: "must be a finite number > 0 (got \(minimumVariance))")
            }
        }

        // Langevin sampling: real-valued units, CD or PCD, split by rows; chains from noise: CD.
        if langevinSteps < 0 { refuse("training.langevin_steps", because: "must be at least 0 (got \(langevinSteps))") }
        if langevinSteps > 0 {
            if !visibleUnits.hasDensity {
                refuse("training.langevin_steps", "model.visible",
                       because: "Langevin sampling moves real values: it is for Gaussian visible units (model.visible: gaussian; now \(visibleUnits.name))")
            }
            if sampler != .contrastiveDivergence && sampler != .persistentContrastiveDivergence {
                refuse("training.langevin_steps", "training.sampler",
                       because: "Langevin sampling works with the cd and pcd samplers (training.sampler: \(sampler.rawValue) now)")
            }
            if hiddenBlocks > 1 {
                refuse("training.hidden_blocks", "training.langevin_steps",
                       because: "Langevin sampling runs on row shards: set training.hidden_blocks: 1 (or training.layout: auto)")
            }
            if !(langevinStepSize > 0 && langevinStepSize <= 1) {
                refuse("training.langevin_step_size", because: "must be in (0, 1] (got \(langevinStepSize))")
            }
        }
        if langevinAdjusted && langevinSteps == 0 {
            refuse("training.langevin_adjust", "training.langevin_steps",
                   because: "the Metropolis adjustment is of Langevin steps: set training.langevin_steps ≥ 1")
        }
        if chainStart == .noise {
            if sampler != .contrastiveDivergence {
                refuse("training.chain_start", "training.sampler",
                       because: "chains restarted from noise are CD's (training.sampler: cd); persistent chains keep their states")
            }
            if !visibleUnits.hasDensity {
                refuse("training.chain_start", "model.visible",
                       because: "chains start from N(0, I) noise only for Gaussian visible units (model.visible: gaussian)")
            } else if langevinSteps == 0 {
                refuse("training.chain_start", "training.langevin_steps",
                       because: "chains from noise need Langevin steps to move them (training.langevin_steps ≥ 1)")
            }
        }
        if !(clipNorm >= 0 && clipNorm.isFinite) { refuse("training.clip_norm", because: "must be a finite number ≥ 0 (0: no clipping)") }
        if clipNorm > 0 && visibleBlocks > 1 {
            refuse("training.clip_norm", "training.visible_blocks",
                   because: "clipping needs the whole gradient before the update; visible blocks apply it in place (set training.visible_blocks: 1)")
        }

        // Parallel tempering (every kind of visible unit): β₁ = 1 > β₂ > … > β_M > 0.
        let ordered = inverseTemperatures.first == 1
            && zip(inverseTemperatures, inverseTemperatures.dropFirst()).allSatisfy { $1 > 0 && $1 < $0 }
        if !ordered {
            refuse("training.min_inverse_temperature", "training.temperatures",
                   because: inverseTemperatures.count > 1 && inverseTemperatures.last.map { $0 >= 1 } == true
                       ? "\(inverseTemperatures.count) temperatures need training.min_inverse_temperature below 1"
                       : "inverse temperatures must decrease from 1 and stay above 0 (got \(inverseTemperatures))")
        }
        if let base = temperingBase, let visibleCount, base.count != visibleCount || !base.allSatisfy(\.isFinite) {
            refuse("training.tempering_base",
                   because: "the tempering base needs one finite coefficient per visible unit (\(visibleCount); got \(base.count))")
        }
        return problems
    }
}
