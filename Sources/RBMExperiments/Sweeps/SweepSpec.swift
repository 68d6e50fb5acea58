import RBM
import RBMStore
import RBMSystem
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// A sweep file: a base config, a grid (or random samples) over config key paths, a metric
/// to rank by, and optional per-run budgets.
///
///     base: default.yaml              # a path relative to this file, or an inline config
///     set: { training.epochs: 5 }     # applied to every run (optional)
///     grid:
///       training.learning_rate: [0.01, 0.05]
///       model.hidden: [128, 500]
///     # or: random: { samples: 8, seed: 1, parameters: { training.learning_rate: { log_uniform: [0.001, 0.1] } } }
///     metric: validation_reconstruction_error
///     direction: minimize             # default: maximize for likelihoods, minimize otherwise
///     budget: { epochs: 10, seconds: 300 }
public struct SweepSpec: Sendable {
    public enum Distribution: Sendable, Equatable {
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case choice([String])
    }

    public enum Space: Sendable, Equatable {
        /// Key paths and their values, in file order; the runs are the Cartesian product with
        /// the last key varying fastest.
        case grid([(key: String, values: [String])])
        case random(samples: Int, seed: UInt64, parameters: [(key: String, distribution: Distribution)])

        public static func == (lhs: Space, rhs: Space) -> Bool {
            switch (lhs, rhs) {
            case let (.grid(a), .grid(b)):
                return a.map(\.key) == b.map(\.key) && a.map(\.values) == b.map(\.values)
            case let (.random(s1, seed1, p1), .random(s2, seed2, p2)):
                return s1 == s2 && seed1 == seed2 && p1.map(\.key) == p2.map(\.key) && p1.map(\.distribution) == p2.map(\.distribution)
            default:
                return false
            }
        }
    }

    public var name: String
    public var file: String
    public var base: ExperimentConfig
    public var space: Space
    public var metric: Metric
    public var maximize: Bool
    public var epochBudget: Int?
    public var secondsBudget: Double?

    /// One run of the sweep: its id and the values it sets.
    public struct Point: Sendable, Equatable {
        public var id: String
        public var values: [(key: String, value: String)]
        public static func == (lhs: Point, rhs: Point) -> Bool {
            lhs.id == rhs.id && lhs.values.map(\.key) == rhs.values.map(\.key) && lhs.values.map(\.value) == rhs.values.map(\.value)
        }
    }

    /// The swept key paths, in order.
    public var keys: [String] {
        switch space {
        case let .grid(axes): return axes.map(\.key)
        case let .random(_, _, parameters): return parameters.map(\.key)
        }
    }

    /// Every run, in order: the grid's Cartesian product or the random samples (a pure
    /// function of the seed).
    public var points: [Point] {
        var assignments: [[(key: String, value: String)]] = []
        switch space {
        case let .grid(axes):
            assignments = [[]]
            for axis in axes {
                assignments = assignments.flatMap { prefix in axis.values.map { prefix + [(axis.key, $0)] } }
            }
        case let .random(samples, seed, parameters):
            let stream = RandomStream(seed: seed, purpose: .sweep)
            for sample in 0..<samples {
                assignments.append(parameters.enumerated().map { index, parameter in
                    let bits = stream.bits64(row: UInt32(sample), index: UInt32(index))
                    let u = Double(bits >> 11) * 0x1p-53
                    switch parameter.distribution {
                    case let .uniform(low, high):
                        return (parameter.key, shortNumber(low + (high - low) * u))
                    case let .logUniform(low, high):
                        return (parameter.key, shortNumber(exp(log(low) + (log(high) - log(low)) * u)))
                    case let .choice(options):
                        return (parameter.key, options[min(options.count - 1, Int(u * Double(options.count)))])
                    }
                })
            }
        }
        let width = String(max(assignments.count, 1)).count
        return assignments.enumerated().map { index, values in
            let number = String(index + 1)
            let slug = values.map { "\($0.key.split(separator: ".").last ?? "")-\($0.value)" }.joined(separator: "_")
                .filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            let id = String(repeating: "0", count: width - number.count) + number + (slug.isEmpty ? "" : "_" + slug)
            return Point(id: String(id.prefix(80)), values: values)
        }
    }

    /// The config of one run: the base with the point's values, the budget and the run folder.
    public func config(for point: Point, outputRoot: String) throws(ConfigError) -> ExperimentConfig {
        var config = base
        for (key, value) in point.values {
            do {
                try ConfigLoader.apply(override: "\(key)=\(value)", to: &config)
            } catch {
                throw relocate(error, key: key)
            }
        }
        if let epochBudget { config.training.epochs = min(config.training.epochs, epochBudget) }
        config.output.folder = outputRoot + "/" + name
        config.output.name = point.id
        try ConfigLoader.checkConsistency(config, file: file)
        return config
    }

    /// A problem with a swept value, reported against the sweep file.
    func relocate(_ error: ConfigError, key: String) -> ConfigError {
        switch error {
        case let .wrongType(location, expected, found):
            return .wrongType(ConfigLocation(file: file, keyPath: "grid." + key, line: location.line), expected: expected, found: found)
        case let .outOfRange(location, expected, found):
            return .outOfRange(ConfigLocation(file: file, keyPath: "grid." + key, line: location.line), expected: expected, found: found)
        case let .unknownKey(_, suggestion, valid):
            return .unknownKey(ConfigLocation(file: file, keyPath: key, line: nil), suggestion: suggestion, validKeys: valid)
        default:
            return error
        }
    }
}
