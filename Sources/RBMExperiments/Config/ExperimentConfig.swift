import RBM
import RBMData
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// A training experiment: what data, what model, how to train, what to measure, where to
/// write. Every field has a default; a config file names only what it changes.
public struct ExperimentConfig: Sendable, Equatable {
    public struct Data: Sendable, Equatable {
        /// A folder of IDX files in the MNIST layout (`train-images-idx3-ubyte[.gz]`, …), or a
        /// data file: HDF5 (`.h5`, `.hdf5`), NumPy (`.npy`, `.npz`) or CSV (`.csv`).
        public var path = "/usr/share/datasets/fashion-mnist"
        /// `auto` tells the format from the path.
        public var format = DataFormat.auto
        /// Where each split's rows and labels are inside the file: an HDF5 dataset path, an
        /// `.npz` array name, a further `.npy` or CSV file (test and validation), a CSV label
        /// column (name or 0-based index). Empty: the file's one obvious layout.
        public var trainKey = ""
        public var validationKey = ""
        public var testKey = ""
        public var labelsKey = ""
        public var validationLabelsKey = ""
        public var testLabelsKey = ""
        /// CSV files: whether the first line names the columns (`auto`: when it is not numbers).
        public var csvHeader = CSVTable.Header.auto
        /// Values are divided by this (255 for bytes) before use; IDX files are always /255.
        public var scale = 1.0
        /// 0: a split is read whole (in memory, or mapped for .npy/.npz/HDF5) and shuffled whole;
        /// N: the training split is streamed in blocks of N rows, shuffled block-wise.
        public var blockRows = 0
        /// [rows, columns] of one sample, for pictures; empty: from the data, else square-ish.
        public var imageShape: [Int] = []
        /// The number a kind of visible unit needs, by its key (`VisibleUnitParameter`):
        /// `categories` (categorical units: the states q of every variable, codes 0 … q−1),
        /// `trials` (binomial units: the n every count is out of). Absent: 0.
        public var unitParameters: [String: Int] = [:]

        /// `unitParameters[key]`, 0 when unset.
        public subscript(unitParameter key: String) -> Int {
            get { unitParameters[key] ?? 0 }
            set { unitParameters[key] = newValue == 0 ? nil : newValue }
        }
        /// Gaussian units: v = (x − mean) / std with the training split's mean and standard
        /// deviation, stored in the checkpoint and applied to every split and to new data.
        public var standardize = Standardize.auto
        /// How many of the last training samples are held out for validation.
        public var validation = 10_000
        /// Use only the first N training samples (0: all of them).
        public var trainSamples = 0
        public var binarization = Binarization.stochastic
    }

    public struct Model: Sendable, Equatable {
        /// The kind of the visible units (the hidden units are Bernoulli).
        public var visible = VisibleKind.bernoulli
        public var hidden = 500
        /// σ of the initial weights, W ~ N(0, σ²).
        public var weightStd = 0.01
        /// `data`: b = log(p/(1−p)) from the training marginals; `zero`: b = 0.
        public var visibleBiasInit = VisibleBiasInit.data
        /// Train with the centred energy (offsets μ = data mean, λ = moving average of the
        /// hidden means at rate `centering_rate`); checkpoints keep the plain parameters.
        public var centering = false
        public var centeringRate = 0.01
        /// Gaussian units: learn a variance σ_i² per visible unit (z = log σ², from 0: the
        /// standardised data's unit variance), held at or above `min_variance`.
        public var learnVariance = false
        public var minVariance = 0.01
    }

    /// How parallel tempering spaces its inverse temperatures between 1 and the minimum.
    public enum TemperatureSpacing: String, Sendable, CaseIterable {
        /// β_t = 1 − (1 − β_min)·t/(M − 1).
        case linear
        /// β_t = β_min^(t/(M − 1)).
        case geometric
    }

    /// Where parallel tempering's hot end lies (`training.tempering_base`).
    public enum TemperingBase: String, Sendable, CaseIterable {
        /// AIS's base from the training data's marginals: p_β ∝ m(v)·e^(β(bᵀv + cᵀh + vᵀWh) + (1 − β)b_Aᵀv),
        /// the hot chains near the data's base rates (as sparse as the data: cheaper products).
        case data
        /// b_A = 0: p_β ∝ m(v)·e^(β(bᵀv + cᵀh + vᵀWh)) (binary units' hot end uniform).
        case none
    }

    public enum VisibleBiasInit: String, Sendable, CaseIterable { case data, zero }

    /// `bernoulli` (values in [0, 1]), `gaussian` (real values, standardised), `categorical`
    /// (integer codes 0 … data.categories − 1, one-hot groups inside the model), `binomial`
    /// (counts 0 … data.trials).
    public typealias VisibleKind = VisibleUnits.Kind

    public enum Standardize: String, Sendable, CaseIterable {
        /// Standardise for Gaussian units, not otherwise.
        case auto
        case yes
        case no
    }

    public enum DataFormat: String, Sendable, CaseIterable { case auto, idx, hdf5, npy, npz, csv }

    public enum LearningRateDecay: String, Sendable, CaseIterable {
        /// ε stays at `learning_rate`.
        case none
        /// ε goes linearly from `learning_rate` (first epoch) to `final_learning_rate` (last).
        case linear
        /// ε goes geometrically from `learning_rate` to `final_learning_rate`.
        case exponential
    }

    /// How `training.shards`, `hidden_blocks` and `visible_blocks` are set.
    public enum Layout: String, Sendable, CaseIterable {
        /// Chosen for the model's shapes, the sampler and this machine's cores when the run
        /// starts (`TrainerConfiguration.automaticLayout`), then written to the run's
        /// config.yaml as `manual` with the concrete keys. The default when a config writes
        /// none of the three keys.
        case auto
        /// The three keys as written (their defaults where not written). The default when a
        /// config (or `--set`) writes any of them.
        case manual
    }

    public struct Training: Sendable, Equatable {
        public var sampler = SamplerKind.persistentContrastiveDivergence
        public var gibbsSteps = 1
        public var epochs = 20
        public var batchSize = 100
        /// Whether the next three keys are chosen for the machine (`auto`) or as written.
        public var layout = Layout.auto
        /// Pieces each minibatch is cut into. Part of the experiment: changing it changes
        /// the random streams' grouping and so the exact numbers; `workers` never does.
        public var shards = 2
        /// Blocks of hidden units each shard's work is also cut into (1: none; at most one per
        /// 32 hidden units). Part of the experiment like `shards`; with one shard and as many
        /// blocks as cores, each core keeps its block of W in its own cache and the update needs
        /// no reduction — the fastest split on CPUs whose cache holds a core's share of W.
        public var hiddenBlocks = 1
        /// Blocks of visible units (W's rows) the work of a single shard is cut into instead
        /// (1: none; at most one per 32 visible units): each core owns its rows of W, contiguous,
        /// through the update — the split for small batches (the seed's 5 rows). One shard, the
        /// cd or pcd sampler, Bernoulli visible units, no centering. Part of the experiment.
        public var visibleBlocks = 1
        /// The three layout keys as one value.
        public var stepLayout: StepLayout {
            get { StepLayout(shards: shards, hiddenBlocks: hiddenBlocks, visibleBlocks: visibleBlocks) }
            set { (shards, hiddenBlocks, visibleBlocks) = (newValue.shards, newValue.hiddenBlocks, newValue.visibleBlocks) }
        }
        /// Threads; nil means all cores.
        public var workers: Int? = nil
        public var learningRate = 0.05
        public var learningRateDecay = LearningRateDecay.none
        public var finalLearningRate = 0.005
        /// μ for the first `momentum_switch_epoch` epochs, then `final_momentum` (Hinton's 0.5 → 0.9).
        public var momentum = 0.5
        public var finalMomentum = 0.9
        public var momentumSwitchEpoch = 5
        public var weightDecay = 0.0001
        public var seed: UInt64 = 1
        /// FPCD: the fast parameters' learning rate (constant) and per-update decay factor.
        public var fastLearningRate = 0.05
        public var fastDecay = 0.95
        /// Parallel tempering: chains per minibatch row (temperatures) and their spacing down
        /// to the smallest inverse temperature.
        public var temperatures = 10
        public var minInverseTemperature = 0.8
        public var temperatureSpacing = TemperatureSpacing.linear
        /// The hot end: none (b_A = 0), or the data's base rates (not with learned variances).
        public var temperingBase = TemperingBase.none
        /// Learned variances: the log-variances' step size at the first epoch (0: the same as
        /// `learning_rate`); it follows `learning_rate_decay` in proportion.
        public var varianceLearningRate = 0.0
        /// Gaussian units: Langevin steps on the marginal per Gibbs step (0: Gibbs sampling),
        /// their step size η, and where CD's chains start (`noise`: N(0, I), Liao et al.).
        public var langevinSteps = 0
        public var langevinStepSize = 0.1
        /// Metropolis-adjusted Langevin steps (MALA): exact whatever η.
        public var langevinAdjust = false
        public var chainStart = TrainerConfiguration.ChainStart.data
        /// The largest L2 norm of the batch gradient (0: no clipping).
        public var clipNorm = 0.0
    }

    public enum EvaluationSplit: String, Sendable, CaseIterable { case validation, test, train }

    public struct Evaluation: Sendable, Equatable {
        /// Samples of the training and validation data used for the per-epoch monitors.
        public var monitorSamples = 5_000
        /// Evaluate the log-likelihood every N epochs and after the last (0: never).
        public var every = 0
        public var split = EvaluationSplit.validation
        public var logLikelihood = LogLikelihoodMethod.auto
        public var aisRuns = AnnealedImportanceSampling.defaultRuns
        public var aisBetas = AnnealedImportanceSampling.defaultBetaCount
        /// With `log_likelihood: bracket`: the width (nats) above which AIS and reverse AIS are
        /// reported as disagreeing.
        public var bracketWarning = EvaluationOptions.defaultBracketWarning
        /// With `log_likelihood: bracket`: reverse AIS's chains per data point (the `ais_runs`
        /// chains start from `ais_runs` / this many points; a point's estimate pools its chains').
        public var reverseChainsPerPoint = EvaluationOptions.defaultReverseChainsPerPoint
        /// Mode jumps in AIS and reverse AIS (`AnnealingGuide`): auto (categorical units), on, off.
        public var aisJumps = ModeJumps.auto
        /// Also compute the exact pseudo-likelihood (n_visible × n_hidden work per sample).
        public var pseudoLikelihood = true
        /// Evaluate on the first N samples of the split (0: all).
        public var samples = 0
    }

    public struct Output: Sendable, Equatable {
        /// Parent folder of run folders.
        public var folder = "runs"
        /// The run folder's name; empty means the config file's name.
        public var name = ""
        /// Write checkpoint.h5 every N epochs (and always after the last); 0: only at the end.
        public var checkpointEvery = 1
        /// Write features.h5 (P(h=1|v) of every split) when training ends.
        public var features = true
        /// Write filters.png, reconstructions.png, samples.png, curves.svg and report.html.
        public var pictures = true
    }

    public var data = Data()
    public var model = Model()
    public var training = Training()
    public var evaluation = Evaluation()
    public var output = Output()

    public init() {}

    /// ε for a 0-based epoch under the configured decay.
    public func learningRate(epoch: Int) -> Double {
        let fraction = training.epochs > 1 ? Double(epoch) / Double(training.epochs - 1) : 0
        let start = training.learningRate, end = training.finalLearningRate
        switch training.learningRateDecay {
        case .none: return start
        case .linear: return start + (end - start) * fraction
        case .exponential: return start * pow(end / start, fraction)
        }
    }

    /// ε_z for a 0-based epoch: `variance_learning_rate` (or ε's start) scaled as ε is.
    public func varianceLearningRate(epoch: Int) -> Double {
        guard model.learnVariance else { return 0 }
        let start = training.varianceLearningRate > 0 ? training.varianceLearningRate : training.learningRate
        return start * learningRate(epoch: epoch) / training.learningRate
    }

    /// μ for a 0-based epoch.
    public func momentum(epoch: Int) -> Double {
        epoch < training.momentumSwitchEpoch ? training.momentum : training.finalMomentum
    }

    /// The model's visible units.
    public var visibleUnits: VisibleUnits {
        VisibleUnits(kind: model.visible, parameter: model.visible.parameter.map { data.unitParameters[$0.configKey] ?? 0 } ?? 0)
    }

    /// True when the data are standardised (`data.standardize`, auto: for Gaussian units).
    public var standardizes: Bool {
        data.standardize == .yes || (data.standardize == .auto && visibleUnits.hasDensity)
    }

    /// What periodic evaluation computes (`evaluation.*`), on `workers` threads.
    public func evaluationOptions(workers: Int) -> EvaluationOptions {
        var options = EvaluationOptions(logLikelihood: evaluation.logLikelihood, aisRuns: evaluation.aisRuns,
                                        aisBetas: evaluation.aisBetas, pseudoLikelihood: evaluation.pseudoLikelihood,
                                        bracketWarning: evaluation.bracketWarning, modeJumps: evaluation.aisJumps,
                                        seed: training.seed, workers: workers)
        options.reverseChainsPerPoint = evaluation.reverseChainsPerPoint
        return options
    }

    /// Threads to use: `training.workers`, or every core when it is not set.
    public var workers: Int { training.workers ?? availableCores }

    /// The config with `training.layout: auto` settled: the layout chosen for the data's
    /// `visibleCount` (nil: not known yet), `cores` per process and `ranks` processes, written
    /// into the three keys, and the layout marked `manual` (what the run folder records, so
    /// that the run repeats anywhere). A manual layout is returned as it is.
    public func settlingLayout(visibleCount: Int?, cores: Int = availableCores, ranks: Int = 1) -> ExperimentConfig {
        guard training.layout == .auto else { return self }
        var settled = self
        settled.training.stepLayout = trainerConfigurationAsWritten().automaticLayout(
            visibleCount: visibleCount, hiddenCount: model.hidden, visibleUnits: visibleUnits, cores: cores, ranks: ranks)
        settled.training.layout = .manual
        return settled
    }

    /// The trainer's configuration on this machine (an automatic layout not yet settled: as
    /// it would settle before the data's width is known).
    public func trainerConfiguration() -> TrainerConfiguration {
        training.layout == .auto ? settlingLayout(visibleCount: nil).trainerConfigurationAsWritten()
            : trainerConfigurationAsWritten()
    }

    /// The trainer's configuration with the layout keys as they stand.
    func trainerConfigurationAsWritten() -> TrainerConfiguration {
        var configuration = TrainerConfiguration(
            batchSize: training.batchSize, shards: training.shards,
            workers: workers, sampler: training.sampler,
            gibbsSteps: training.gibbsSteps, weightDecay: Float(training.weightDecay),
            seed: training.seed)
        configuration.fastLearningRate = Float(training.fastLearningRate)
        configuration.fastDecay = Float(training.fastDecay)
        if training.sampler == .parallelTempering { configuration.inverseTemperatures = inverseTemperatures }
        configuration.centering = model.centering
        configuration.centeringRate = Float(model.centeringRate)
        configuration.learnsVariance = model.learnVariance
        configuration.minimumVariance = Float(model.minVariance)
        configuration.langevinSteps = training.langevinSteps
        configuration.langevinStepSize = Float(training.langevinStepSize)
        configuration.langevinAdjusted = training.langevinAdjust
        configuration.chainStart = training.chainStart
        configuration.clipNorm = Float(training.clipNorm)
        configuration.layout = training.stepLayout
        return configuration
    }

    /// Parallel tempering's β₁ = 1 > … > β_M (`training.temperatures`, spacing, minimum).
    public var inverseTemperatures: [Float] {
        let count = training.temperatures
        guard count > 1 else { return [1] }
        let minimum = training.minInverseTemperature
        return (0..<count).map { t in
            let fraction = Double(t) / Double(count - 1)
            switch training.temperatureSpacing {
            case .linear: return t == 0 ? 1 : Float(1 - (1 - minimum) * fraction)
            case .geometric: return t == 0 ? 1 : Float(pow(minimum, fraction))
            }
        }
    }
}
