import RBM
import RBMData
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// One settable key of a config: its section, name, what it accepts, and how it is stored.
struct ConfigField: Sendable {
    let section: String
    let key: String
    /// What the key accepts, for error messages and `rbm train --help`.
    let expected: String
    let read: @Sendable (ConfigScalar, inout ExperimentConfig) throws(ConfigValueProblem) -> Void
    let render: @Sendable (ExperimentConfig) -> String

    var path: String { "\(section).\(key)" }
}

/// Why a scalar was refused (the caller adds the file, key path and line).
enum ConfigValueProblem: Error {
    case wrongType(expected: String)
    case outOfRange(expected: String)
}

/// A scalar as written in the file.
struct ConfigScalar: Sendable {
    var text: String
    var quoted: Bool
}

/// The keys a config may have, section by section.
enum ConfigSchema {
    static let sections = ["data", "model", "training", "evaluation", "output"]

    /// data.categories, data.trials, …: the parameter of each kind of visible unit that has one.
    static var unitParameterFields: [ConfigField] {
        VisibleUnits.registered.compactMap { type in
            type.parameter.map { parameter in
                integer("data", parameter.configKey, 0...parameter.range.upperBound,
                        \.data[unitParameter: parameter.configKey],
                        note: " (\(type.name) units: \(parameter.meaning); 0: unset)")
            }
        }
    }

    static let fields: [ConfigField] = [
        string("data", "path", "a folder of IDX files", \.data.path),
        integer("data", "validation", 0...10_000_000, \.data.validation),
        integer("data", "train_samples", 0...100_000_000, \.data.trainSamples, note: " (0: all)"),
        choice("data", "binarization", \.data.binarization),
        choice("data", "format", \.data.format),
        string("data", "train_key", "a dataset, array, file or column name", \.data.trainKey),
        string("data", "validation_key", "a dataset, array or file name", \.data.validationKey),
        string("data", "test_key", "a dataset, array or file name", \.data.testKey),
        string("data", "labels_key", "a dataset, array, file or CSV column", \.data.labelsKey),
        string("data", "validation_labels_key", "a dataset, array or file name", \.data.validationLabelsKey),
        string("data", "test_labels_key", "a dataset, array, file or CSV column", \.data.testLabelsKey),
        choice("data", "csv_header", \.data.csvHeader),
        real("data", "scale", .openLow(0, 1e12), \.data.scale),
        integer("data", "block_rows", 0...100_000_000, \.data.blockRows, note: " (0: read whole)"),
    ] + unitParameterFields + [
        choice("data", "standardize", \.data.standardize),
        ConfigField(
            section: "data", key: "image_shape", expected: "[rows, columns] or empty",
            read: { scalar, config throws(ConfigValueProblem) in
                let numbers = scalar.text.split(whereSeparator: { "[], x".contains($0) }).map { Int($0) }
                if numbers.isEmpty { config.data.imageShape = []; return }
                guard numbers.count == 2, let rows = numbers[0], let columns = numbers[1], rows > 0, columns > 0 else {
                    throw .wrongType(expected: "[rows, columns] with two positive integers")
                }
                config.data.imageShape = [rows, columns]
            },
            render: { $0.data.imageShape.isEmpty ? "" : "[\($0.data.imageShape[0]), \($0.data.imageShape[1])]" }),
        choice("model", "visible", \.model.visible),
        integer("model", "hidden", 1...1_000_000, \.model.hidden),
        real("model", "weight_std", .closed(0, 10), \.model.weightStd),
        choice("model", "visible_bias_init", \.model.visibleBiasInit),
        boolean("model", "centering", \.model.centering),
        real("model", "centering_rate", .openLow(0, 1), \.model.centeringRate),
        boolean("model", "learn_variance", \.model.learnVariance),
        real("model", "min_variance", .openLow(0, 1e6), \.model.minVariance, note: " (learned variances: the floor of σ²)"),
        choice("training", "sampler", \.training.sampler),
        integer("training", "gibbs_steps", 1...100_000, \.training.gibbsSteps),
        integer("training", "epochs", 1...1_000_000, \.training.epochs),
        integer("training", "batch_size", 1...1_000_000, \.training.batchSize),
        choice("training", "layout", \.training.layout),
        integer("training", "shards", 1...4096, \.training.shards),
        integer("training", "hidden_blocks", 1...4096, \.training.hiddenBlocks),
        integer("training", "visible_blocks", 1...4096, \.training.visibleBlocks),
        ConfigField(
            section: "training", key: "workers", expected: "auto or an integer in 1...1024",
            read: { scalar, config throws(ConfigValueProblem) in
                if scalar.text == "auto" { config.training.workers = nil; return }
                guard let value = Int(scalar.text) else { throw .wrongType(expected: "auto or an integer") }
                guard (1...1024).contains(value) else { throw .outOfRange(expected: "auto or an integer in 1...1024") }
                config.training.workers = value
            },
            render: { $0.training.workers.map(String.init) ?? "auto" }),
        real("training", "learning_rate", .openLow(0, 1e6), \.training.learningRate),
        choice("training", "learning_rate_decay", \.training.learningRateDecay),
        real("training", "final_learning_rate", .openLow(0, 1e6), \.training.finalLearningRate),
        real("training", "momentum", .halfOpen(0, 1), \.training.momentum),
        real("training", "final_momentum", .halfOpen(0, 1), \.training.finalMomentum),
        integer("training", "momentum_switch_epoch", 0...1_000_000, \.training.momentumSwitchEpoch),
        real("training", "weight_decay", .closed(0, 1e6), \.training.weightDecay),
        real("training", "fast_learning_rate", .closed(0, 1e6), \.training.fastLearningRate),
        real("training", "variance_learning_rate", .closed(0, 1e6), \.training.varianceLearningRate,
             note: " (learned variances; 0: training.learning_rate)"),
        integer("training", "langevin_steps", 0...100_000, \.training.langevinSteps, note: " (Gaussian units; 0: Gibbs sampling)"),
        real("training", "langevin_step_size", .openLow(0, 1), \.training.langevinStepSize),
        boolean("training", "langevin_adjust", \.training.langevinAdjust),
        choice("training", "chain_start", \.training.chainStart),
        real("training", "clip_norm", .closed(0, 1e12), \.training.clipNorm, note: " (0: no clipping)"),
        real("training", "fast_decay", .closed(0, 1), \.training.fastDecay),
        integer("training", "temperatures", 1...1000, \.training.temperatures, note: " (parallel tempering: chains per row)"),
        real("training", "min_inverse_temperature", .openLow(0, 1), \.training.minInverseTemperature),
        choice("training", "temperature_spacing", \.training.temperatureSpacing),
        choice("training", "tempering_base", \.training.temperingBase),
        ConfigField(
            section: "training", key: "seed", expected: "an integer in 0...2^64−1",
            read: { scalar, config throws(ConfigValueProblem) in
                guard let value = UInt64(scalar.text) else {
                    throw Int(scalar.text) != nil ? .outOfRange(expected: "an integer in 0...2^64−1")
                        : .wrongType(expected: "an integer")
                }
                config.training.seed = value
            },
            render: { String($0.training.seed) }),
        // At least one: the epoch's free energy on these samples is what detects a diverged run
        // (none would read as NaN, and every run as diverged).
        integer("evaluation", "monitor_samples", 1...100_000_000, \.evaluation.monitorSamples),
        integer("evaluation", "every", 0...1_000_000, \.evaluation.every, note: " (epochs; 0: never)"),
        choice("evaluation", "split", \.evaluation.split),
        choice("evaluation", "log_likelihood", \.evaluation.logLikelihood),
        integer("evaluation", "ais_runs", 1...1_000_000, \.evaluation.aisRuns),
        integer("evaluation", "ais_betas", 3...100_000_000, \.evaluation.aisBetas),
        real("evaluation", "bracket_warning", .openLow(0, 1e6), \.evaluation.bracketWarning),
        integer("evaluation", "reverse_chains_per_point", 1...1_000_000, \.evaluation.reverseChainsPerPoint),
        choice("evaluation", "ais_jumps", \.evaluation.aisJumps),
        boolean("evaluation", "pseudo_likelihood", \.evaluation.pseudoLikelihood),
        integer("evaluation", "samples", 0...100_000_000, \.evaluation.samples, note: " (0: all)"),
        string("output", "folder", "a folder path", \.output.folder),
        string("output", "name", "a run name (letters, digits, - _ .)", \.output.name),
        integer("output", "checkpoint_every", 0...1_000_000, \.output.checkpointEvery, note: " (epochs; 0: only at the end)"),
        boolean("output", "features", \.output.features),
        boolean("output", "pictures", \.output.pictures),
    ]

    /// Keys that may change between a run and its resumption without changing what the
    /// remaining updates compute.
    static let resumableChanges: Set<String> = [
        "training.epochs", "training.workers", "evaluation.monitor_samples", "evaluation.every",
        "evaluation.split", "evaluation.log_likelihood", "evaluation.ais_runs", "evaluation.ais_betas",
        "evaluation.bracket_warning", "evaluation.reverse_chains_per_point", "evaluation.ais_jumps",
        "evaluation.pseudo_likelihood", "evaluation.samples", "output.folder",
        "output.name", "output.checkpoint_every", "output.features", "output.pictures",
    ]

    static func fields(in section: String) -> [ConfigField] { fields.filter { $0.section == section } }

    // MARK: Field builders

    static func integer(_ section: String, _ key: String, _ range: ClosedRange<Int>,
                        _ path: WritableKeyPath<ExperimentConfig, Int> & Sendable,
                        note: String = "") -> ConfigField {
        let expected = "an integer in \(range.lowerBound)...\(range.upperBound)\(note)"
        return ConfigField(
            section: section, key: key, expected: expected,
            read: { scalar, config throws(ConfigValueProblem) in
                // Strict like every other type: "32" in quotes is a string, not a number.
                guard !scalar.quoted, let value = Int(scalar.text) else { throw .wrongType(expected: "an integer") }
                guard range.contains(value) else { throw .outOfRange(expected: expected) }
                config[keyPath: path] = value
            },
            render: { String($0[keyPath: path]) })
    }

    enum RealRange: Sendable {
        case closed(Double, Double), openLow(Double, Double), halfOpen(Double, Double)

        func contains(_ value: Double) -> Bool {
            switch self {
            case let .closed(low, high): return value >= low && value <= high
            case let .openLow(low, high): return value > low && value <= high
            case let .halfOpen(low, high): return value >= low && value < high
            }
        }

        var description: String {
            switch self {
            case let .closed(low, high): return "a number in [\(low), \(high)]"
            case let .openLow(low, high): return "a number in (\(low), \(high)]"
            case let .halfOpen(low, high): return "a number in [\(low), \(high))"
            }
        }
    }

    static func real(_ section: String, _ key: String, _ range: RealRange,
                     _ path: WritableKeyPath<ExperimentConfig, Double> & Sendable, note: String = "") -> ConfigField {
        ConfigField(
            section: section, key: key, expected: range.description + note,
            read: { scalar, config throws(ConfigValueProblem) in
                guard !scalar.quoted, let value = parseReal(scalar.text) else { throw .wrongType(expected: "a number") }
                guard value.isFinite, range.contains(value) else {
                    throw .outOfRange(expected: range.description)
                }
                config[keyPath: path] = value
            },
            render: { "\($0[keyPath: path])" })
    }

    static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ section: String, _ key: String,
        _ path: WritableKeyPath<ExperimentConfig, Choice> & Sendable
    ) -> ConfigField where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        let expected = "one of " + names.joined(separator: ", ")
        return ConfigField(
            section: section, key: key, expected: expected,
            read: { scalar, config throws(ConfigValueProblem) in
                guard let value = Choice(rawValue: scalar.text) else {
                    throw .outOfRange(expected: expected)
                }
                config[keyPath: path] = value
            },
            render: { $0[keyPath: path].rawValue })
    }

    /// A number as YAML writes it, including `.nan`, `.inf` and `-.inf` (so that those are
    /// reported as out of range rather than as not numbers).
    static func parseReal(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".nan": return .nan
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        default: return Double(text)
        }
    }

    static func boolean(_ section: String, _ key: String,
                        _ path: WritableKeyPath<ExperimentConfig, Bool> & Sendable) -> ConfigField {
        ConfigField(
            section: section, key: key, expected: "true or false",
            read: { scalar, config throws(ConfigValueProblem) in
                switch scalar.text.lowercased() {
                case "true", "yes", "on": config[keyPath: path] = true
                case "false", "no", "off": config[keyPath: path] = false
                default: throw .wrongType(expected: "true or false")
                }
            },
            render: { $0[keyPath: path] ? "true" : "false" })
    }

    static func string(_ section: String, _ key: String, _ expected: String,
                       _ path: WritableKeyPath<ExperimentConfig, String> & Sendable) -> ConfigField {
        ConfigField(
            section: section, key: key, expected: expected,
            read: { scalar, config throws(ConfigValueProblem) in
                // A NUL ends a path for the system, and the config stored in a checkpoint (an
                // HDF5 string) would end there too: no key takes one.
                guard !scalar.text.contains("\u{0}") else { throw .wrongType(expected: expected + " without NUL characters") }
                config[keyPath: path] = scalar.text
            },
            render: { $0[keyPath: path] })
    }
}
