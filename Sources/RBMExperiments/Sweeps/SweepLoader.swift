import RBMStore
import RBMSystem
import Yams

/// Reads and validates a sweep file before anything runs: unknown keys, empty grids, values
/// of the wrong type and unknown key paths are errors naming the file, the key path and the line.
public enum SweepLoader {
    static let topKeys = ["base", "set", "grid", "random", "metric", "direction", "budget", "output"]

    public static func load(path: String, overrides: [String] = []) throws(ConfigError) -> (spec: SweepSpec, outputRoot: String) {
        let document = try SweepDocument(path: path)
        let base = try document.baseConfig(overrides: overrides)
        let space = try document.space(base: base)
        let (metric, maximize) = try document.ranking()
        let (epochBudget, secondsBudget) = try document.budgets()
        let outputRoot = try document.outputRoot()
        let spec = SweepSpec(name: ConfigLoader.runName(forConfigPath: path), file: path, base: base, space: space,
                             metric: metric, maximize: maximize, epochBudget: epochBudget, secondsBudget: secondsBudget)
        // Every run's config must be valid before the first one starts.
        for point in spec.points { _ = try spec.config(for: point, outputRoot: outputRoot) }
        return (spec, outputRoot)
    }

    static func randomSpace(_ node: Node, base: ExperimentConfig, path: String, at keyNode: Node) throws(ConfigError) -> SweepSpec.Space {
        guard case let .mapping(mapping) = node else {
            throw .notAMapping(ConfigLocation(file: path, keyPath: "random", line: keyNode.mark?.line), found: ConfigLoader.describe(node))
        }
        var samples = 0
        var seed: UInt64 = 1
        var parameters: [(key: String, distribution: SweepSpec.Distribution)] = []
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            let here = ConfigLocation(file: path, keyPath: "random." + name, line: key.mark?.line)
            switch name {
            case "samples":
                guard let count = Int(value.scalar?.string ?? ""), count >= 1 else { throw .outOfRange(here, expected: "an integer ≥ 1", found: value.scalar?.string ?? "?") }
                samples = count
            case "seed":
                guard let number = UInt64(value.scalar?.string ?? "") else { throw .wrongType(here, expected: "an integer", found: value.scalar?.string ?? "?") }
                seed = number
            case "parameters":
                guard case let .mapping(entries) = value, !entries.isEmpty else {
                    throw .inconsistent(here, reason: "map config key paths to distributions (uniform, log_uniform, choice)")
                }
                for (parameterKey, distributionNode) in entries {
                    let parameter = parameterKey.scalar?.string ?? ""
                    let at = ConfigLocation(file: path, keyPath: "random.parameters." + parameter, line: parameterKey.mark?.line)
                    let (distribution, values) = try distribution(distributionNode, at: at)
                    var probe = base
                    do { try ConfigLoader.apply(override: "\(parameter)=\(values[0])", to: &probe) } catch {
                        throw relabel(error, path: path, prefix: "random.parameters.", key: parameter, line: parameterKey.mark?.line)
                    }
                    parameters.append((parameter, distribution))
                }
            default:
                throw .unknownKey(here, suggestion: ConfigLoader.nearest(name, in: ["samples", "seed", "parameters"]),
                                  validKeys: ["samples", "seed", "parameters"])
            }
        }
        guard samples >= 1 else {
            throw .inconsistent(ConfigLocation(file: path, keyPath: "random.samples", line: keyNode.mark?.line), reason: "give the number of samples")
        }
        guard !parameters.isEmpty else {
            throw .inconsistent(ConfigLocation(file: path, keyPath: "random.parameters", line: keyNode.mark?.line), reason: "give at least one parameter")
        }
        return .random(samples: samples, seed: seed, parameters: parameters)
    }

    /// One `random.parameters` entry: `{uniform: [low, high]}`, `{log_uniform: [low, high]}`
    /// or `{choice: [values]}`, with its argument values as written.
    static func distribution(_ node: Node, at: ConfigLocation) throws(ConfigError) -> (SweepSpec.Distribution, [String]) {
        guard case let .mapping(spec) = node, spec.count == 1, let (kindNode, argumentsNode) = spec.first,
              case let .sequence(arguments) = argumentsNode else {
            throw .wrongType(at, expected: "one of {uniform: [low, high]}, {log_uniform: [low, high]}, {choice: [values]}", found: ConfigLoader.describe(node))
        }
        let values = arguments.compactMap { $0.scalar?.string }
        switch kindNode.scalar?.string {
        case "uniform", "log_uniform":
            guard values.count == 2, let low = Double(values[0]), let high = Double(values[1]), low < high,
                  kindNode.scalar?.string == "uniform" || low > 0 else {
                throw .outOfRange(at, expected: "[low, high] with low < high (and low > 0 for log_uniform)", found: values.joined(separator: ", "))
            }
            return (kindNode.scalar?.string == "uniform" ? .uniform(low, high) : .logUniform(low, high), values)
        case "choice":
            guard !values.isEmpty else { throw .inconsistent(at, reason: "choice needs at least one value") }
            return (.choice(values), values)
        default:
            throw .unknownKey(at, suggestion: ConfigLoader.nearest(kindNode.scalar?.string ?? "", in: ["uniform", "log_uniform", "choice"]),
                              validKeys: ["uniform", "log_uniform", "choice"])
        }
    }

    struct Text { var text: String; var line: Int? }

    static func scalarMapping(_ node: Node, at location: ConfigLocation, file: String) throws(ConfigError) -> [(Text, Text)] {
        guard case let .mapping(mapping) = node else { throw .notAMapping(location, found: ConfigLoader.describe(node)) }
        var result: [(Text, Text)] = []
        for (key, value) in mapping {
            guard case let .scalar(scalar) = value else {
                throw .wrongType(ConfigLocation(file: file, keyPath: (location.keyPath ?? "") + "." + (key.scalar?.string ?? ""), line: key.mark?.line),
                                 expected: "a plain value", found: ConfigLoader.describe(value))
            }
            result.append((Text(text: key.scalar?.string ?? "", line: key.mark?.line), Text(text: scalar.string, line: value.mark?.line)))
        }
        return result
    }

    /// An error from applying `key` = value, reported at the sweep file's line.
    static func relabel(_ error: ConfigError, path: String, prefix: String, key: String, line: Int?) -> ConfigError {
        let here = ConfigLocation(file: path, keyPath: prefix + key, line: line)
        switch error {
        case let .unknownKey(_, suggestion, valid): return .unknownKey(here, suggestion: suggestion, validKeys: valid)
        case let .wrongType(_, expected, found): return .wrongType(here, expected: expected, found: found)
        case let .outOfRange(_, expected, found): return .outOfRange(here, expected: expected, found: found)
        case let .badOverride(_, reason): return .inconsistent(here, reason: reason)
        default: return error
        }
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }
}

/// A sweep file's top-level entries, each read and checked by one method.
struct SweepDocument {
    let path: String
    let entries: [String: (key: Node, value: Node)]

    init(path: String) throws(ConfigError) {
        self.path = path
        let text: String
        do { text = try readText(path: path) } catch { throw .cannotRead(file: path, reason: error.reason) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw .invalidYAML(file: path, detail: "\(error)") }
        guard let root, case let .mapping(top) = root else {
            throw .notAMapping(ConfigLocation(file: path, keyPath: nil, line: root?.mark?.line), found: "an empty or non-mapping document")
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (keyNode, valueNode) in top {
            let key = keyNode.scalar?.string ?? ""
            let topKeys = SweepLoader.topKeys
            guard topKeys.contains(key) else {
                throw .unknownKey(ConfigLocation(file: path, keyPath: key, line: keyNode.mark?.line),
                                  suggestion: ConfigLoader.nearest(key, in: topKeys), validKeys: topKeys)
            }
            entries[key] = (keyNode, valueNode)
        }
        self.entries = entries
    }

    func location(_ key: String, _ node: Node?) -> ConfigLocation { ConfigLocation(file: path, keyPath: key, line: node?.mark?.line) }

    /// The base config (a file beside the sweep, or inline), with `set:` and then the command
    /// line's overrides applied.
    func baseConfig(overrides: [String]) throws(ConfigError) -> ExperimentConfig {
        guard let baseEntry = entries["base"] else {
            throw .inconsistent(location("base", nil), reason: "a sweep needs a base config (a path or an inline config)")
        }
        var base: ExperimentConfig
        if case let .scalar(scalar) = baseEntry.value {
            let basePath = scalar.string.hasPrefix("/") ? scalar.string : SweepLoader.folder(of: path) + scalar.string
            base = try ConfigLoader.load(path: basePath)
        } else {
            let inline: String
            do { inline = try Yams.serialize(node: baseEntry.value) } catch { throw .invalidYAML(file: path, detail: "base: \(error)") }
            base = try ConfigLoader.parse(inline, file: "\(path) (base)")
        }
        if let set = entries["set"] {
            for (key, value) in try SweepLoader.scalarMapping(set.value, at: location("set", set.key), file: path) {
                do { try ConfigLoader.apply(override: "\(key.text)=\(value.text)", to: &base) } catch {
                    throw SweepLoader.relabel(error, path: path, prefix: "set.", key: key.text, line: key.line)
                }
            }
        }
        for override in overrides { try ConfigLoader.apply(override: override, to: &base) }
        return base
    }

    /// The space: a grid (every value checked against the base config) or random samples.
    func space(base: ExperimentConfig) throws(ConfigError) -> SweepSpec.Space {
        switch (entries["grid"], entries["random"]) {
        case (.some, .some):
            throw .inconsistent(location("random", entries["random"]?.key), reason: "give either grid or random, not both")
        case let (.some(grid), nil):
            return try gridSpace(grid, base: base)
        case let (nil, .some(random)):
            return try SweepLoader.randomSpace(random.value, base: base, path: path, at: random.key)
        case (nil, nil):
            return .grid([])
        }
    }

    func gridSpace(_ grid: (key: Node, value: Node), base: ExperimentConfig) throws(ConfigError) -> SweepSpec.Space {
        guard case let .mapping(axes) = grid.value, !axes.isEmpty else {
            throw .inconsistent(location("grid", grid.key), reason: "the grid is empty: map config key paths to lists of values")
        }
        var parsed: [(key: String, values: [String])] = []
        for (keyNode, valuesNode) in axes {
            let key = keyNode.scalar?.string ?? ""
            guard case let .sequence(sequence) = valuesNode, !sequence.isEmpty else {
                throw .inconsistent(location("grid." + key, keyNode), reason: "expected a non-empty list of values")
            }
            var values: [String] = []
            for item in sequence {
                guard case let .scalar(scalar) = item else {
                    throw .wrongType(location("grid." + key, item), expected: "a plain value", found: ConfigLoader.describe(item))
                }
                var probe = base
                do { try ConfigLoader.apply(override: "\(key)=\(scalar.string)", to: &probe) } catch {
                    throw SweepLoader.relabel(error, path: path, prefix: "grid.", key: key, line: item.mark?.line ?? keyNode.mark?.line)
                }
                values.append(scalar.string)
            }
            parsed.append((key, values))
        }
        return .grid(parsed)
    }

    /// The metric to rank by and whether higher is better (likelihoods by default).
    func ranking() throws(ConfigError) -> (metric: Metric, maximize: Bool) {
        var metric = Metric.validationReconstructionError
        if let entry = entries["metric"] {
            let name = entry.value.scalar?.string ?? ""
            guard let chosen = Metric(rawValue: name), Metric.rankable.contains(chosen) else {
                throw .outOfRange(location("metric", entry.key),
                                  expected: "one of " + Metric.rankable.map(\.rawValue).joined(separator: ", "), found: name)
            }
            metric = chosen
        }
        guard let entry = entries["direction"] else { return (metric, metric.higherIsBetter) }
        switch entry.value.scalar?.string {
        case "minimize": return (metric, false)
        case "maximize": return (metric, true)
        default: throw .outOfRange(location("direction", entry.key), expected: "minimize or maximize", found: entry.value.scalar?.string ?? "?")
        }
    }

    /// `budget: {epochs, seconds}`, each optional.
    func budgets() throws(ConfigError) -> (epochs: Int?, seconds: Double?) {
        var epochBudget: Int?
        var secondsBudget: Double?
        guard let budget = entries["budget"] else { return (nil, nil) }
        for (key, value) in try SweepLoader.scalarMapping(budget.value, at: location("budget", budget.key), file: path) {
            let here = ConfigLocation(file: path, keyPath: "budget." + key.text, line: key.line)
            switch key.text {
            case "epochs":
                guard let epochs = Int(value.text), epochs >= 1 else { throw .outOfRange(here, expected: "an integer ≥ 1", found: value.text) }
                epochBudget = epochs
            case "seconds":
                guard let seconds = Double(value.text), seconds > 0, seconds.isFinite else { throw .outOfRange(here, expected: "a number > 0", found: value.text) }
                secondsBudget = seconds
            default:
                throw .unknownKey(here, suggestion: ConfigLoader.nearest(key.text, in: ["epochs", "seconds"]), validKeys: ["epochs", "seconds"])
            }
        }
        return (epochBudget, secondsBudget)
    }

    /// `output: {folder}`: where the sweep's folder goes (default runs).
    func outputRoot() throws(ConfigError) -> String {
        var outputRoot = "runs"
        if let output = entries["output"] {
            for (key, value) in try SweepLoader.scalarMapping(output.value, at: location("output", output.key), file: path) {
                guard key.text == "folder" else {
                    throw .unknownKey(ConfigLocation(file: path, keyPath: "output." + key.text, line: key.line),
                                      suggestion: ConfigLoader.nearest(key.text, in: ["folder"]), validKeys: ["folder"])
                }
                outputRoot = value.text
            }
        }
        return outputRoot
    }
}
