import RBM
import RBMSystem
import Yams

/// Reads experiment configs: YAML (JSON is YAML too) with sections data, model, training,
/// evaluation and output. Strict: unknown keys, wrong types and out-of-range values are errors
/// naming the file, the key path and the line.
public enum ConfigLoader {
    /// Loads `path`, then applies `overrides` (`section.key=value`, as from `--set`).
    public static func load(path: String, overrides: [String] = []) throws(ConfigError) -> ExperimentConfig {
        let text: String
        do {
            text = try readText(path: path)
        } catch {
            throw .cannotRead(file: path, reason: error.reason)
        }
        var config = try parse(text, file: path, overrides: overrides)
        if config.output.name.isEmpty { config.output.name = runName(forConfigPath: path) }
        return config
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String, overrides: [String] = []) throws(ConfigError) -> ExperimentConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw .invalidYAML(file: file, detail: "\(error)")
        }
        var config = ExperimentConfig()
        var written: Set<String> = []
        if let root {
            guard case let .mapping(top) = root else {
                throw .notAMapping(ConfigLocation(file: file, keyPath: nil, line: root.mark?.line),
                                   found: describe(root))
            }
            var seenSections: Set<String> = []
            for (keyNode, valueNode) in top {
                let section = keyNode.scalar?.string ?? describe(keyNode)
                let location = ConfigLocation(file: file, keyPath: section, line: keyNode.mark?.line)
                guard ConfigSchema.sections.contains(section) else {
                    throw .unknownKey(location, suggestion: nearest(section, in: ConfigSchema.sections),
                                      validKeys: ConfigSchema.sections)
                }
                guard seenSections.insert(section).inserted else { throw .duplicateKey(location) }
                written.formUnion(try readSection(section, valueNode, file: file, into: &config))
            }
        }
        for override in overrides { try apply(override: override, to: &config) }
        let overridden = Set(overrides.compactMap { $0.split(separator: "=", maxSplits: 1).first }
            .map { String($0).trimmingSpaces })
        try decideLayout(&config, file: file, written: written, overridden: overridden)
        try checkConsistency(config, file: file, overridden: overridden)
        return config
    }

    /// The run folder name a config file implies: its file name without the extension.
    public static func runName(forConfigPath path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".yaml", ".yml", ".json"] where file.hasSuffix(suffix) {
            return String(file.dropLast(suffix.count))
        }
        return file
    }

    /// The keys a layout of `training.layout: auto` chooses.
    static let layoutKeys = ["training.shards", "training.hidden_blocks", "training.visible_blocks"]

    /// `training.layout` when the config does not say: `manual` as soon as the file or `--set`
    /// writes one of `layoutKeys`, else `auto`. A key given by `--set` overrides a layout the
    /// file wrote; `auto` written beside one of the keys at the same level is refused (it would
    /// overrule the key in silence).
    static func decideLayout(_ config: inout ExperimentConfig, file: String, written: Set<String>,
                             overridden: Set<String>) throws(ConfigError) {
        let inFile = layoutKeys.filter(written.contains), bySet = layoutKeys.filter(overridden.contains)
        let conflict: (source: String, key: String)?
        if overridden.contains("training.layout") {
            conflict = config.training.layout == .auto ? bySet.first.map { ("--set", $0) } : nil
        } else if written.contains("training.layout") {
            if !bySet.isEmpty { config.training.layout = .manual }
            conflict = config.training.layout == .auto ? inFile.first.map { (file, $0) } : nil
        } else {
            config.training.layout = inFile.isEmpty && bySet.isEmpty ? .auto : .manual
            conflict = nil
        }
        if let conflict {
            throw .inconsistent(ConfigLocation(file: conflict.source, keyPath: "training.layout", line: nil),
                                reason: "auto chooses training.shards, hidden_blocks and visible_blocks for the machine, but \(conflict.key) is also given: remove it, or write training.layout: manual")
        }
    }

    /// Reads one section into `config`; returns the key paths it wrote ("training.shards").
    @discardableResult
    static func readSection(_ section: String, _ node: Node, file: String,
                            into config: inout ExperimentConfig) throws(ConfigError) -> Set<String> {
        if case let .scalar(scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
            return []  // `section:` with nothing under it
        }
        guard case let .mapping(mapping) = node else {
            throw .notAMapping(ConfigLocation(file: file, keyPath: section, line: node.mark?.line),
                               found: describe(node))
        }
        let fields = ConfigSchema.fields(in: section)
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            let key = keyNode.scalar?.string ?? describe(keyNode)
            let location = ConfigLocation(file: file, keyPath: "\(section).\(key)", line: keyNode.mark?.line)
            guard let field = fields.first(where: { $0.key == key }) else {
                throw .unknownKey(location, suggestion: nearest(key, in: fields.map(\.key)),
                                  validKeys: fields.map(\.key))
            }
            guard seen.insert(key).inserted else { throw .duplicateKey(location) }
            // A list of plain values (data.image_shape: [28, 28]) reaches the field as its text.
            if case let .sequence(items) = valueNode, field.expected.hasPrefix("["),
               items.allSatisfy({ $0.scalar != nil }) {
                let text = "[" + items.compactMap { $0.scalar?.string }.joined(separator: ", ") + "]"
                try read(field, ConfigScalar(text: text, quoted: false), at: location, into: &config)
                continue
            }
            guard case let .scalar(scalar) = valueNode else {
                throw .wrongType(location, expected: field.expected, found: describe(valueNode))
            }
            let value = ConfigScalar(text: scalar.string, quoted: scalar.style != .plain && scalar.style != .any)
            try read(field, value, at: location, into: &config)
        }
        return Set(seen.map { "\(section).\($0)" })
    }

    static func read(_ field: ConfigField, _ value: ConfigScalar, at location: ConfigLocation,
                     into config: inout ExperimentConfig) throws(ConfigError) {
        do {
            try field.read(value, &config)
        } catch {
            switch error {
            case let .wrongType(expected):
                let found = value.quoted ? "the quoted string \"\(excerpt(value.text))\" (write numbers without quotes)"
                    : "'\(excerpt(value.text))'"
                throw .wrongType(location, expected: expected, found: found)
            case let .outOfRange(expected):
                throw .outOfRange(location, expected: expected, found: excerpt(value.text))
            }
        }
    }

    /// Applies `section.key=value`.
    public static func apply(override: String, to config: inout ExperimentConfig) throws(ConfigError) {
        guard let equals = override.firstIndex(of: "=") else {
            throw .badOverride(override, reason: "expected key.path=value, e.g. training.learning_rate=0.05")
        }
        let path = String(override[..<equals]).trimmingSpaces
        var value = String(override[override.index(after: equals)...]).trimmingSpaces
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            value = String(value.dropFirst().dropLast())
        }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let location = ConfigLocation(file: "--set", keyPath: path, line: nil)
        guard parts.count == 2 else {
            throw .badOverride(override, reason: "the key path must be section.key (sections: \(ConfigSchema.sections.joined(separator: ", ")))")
        }
        guard ConfigSchema.sections.contains(parts[0]) else {
            throw .unknownKey(location, suggestion: nearest(parts[0], in: ConfigSchema.sections),
                              validKeys: ConfigSchema.sections)
        }
        let fields = ConfigSchema.fields(in: parts[0])
        guard let field = fields.first(where: { $0.key == parts[1] }) else {
            let suggestion = nearest(parts[1], in: fields.map(\.key)).map { "\(parts[0]).\($0)" }
            throw .unknownKey(location, suggestion: suggestion, validKeys: fields.map(\.key))
        }
        try read(field, ConfigScalar(text: value, quoted: false), at: location, into: &config)
    }

    /// Rules that involve more than one key. A rule broken by a key that `--set` gave
    /// (`overridden` key paths) is reported against `--set`, not the file.
    static func checkConsistency(_ config: ExperimentConfig, file: String, overridden: Set<String> = []) throws(ConfigError) {
        func source(_ keys: String...) -> String { keys.contains(where: overridden.contains) ? "--set" : file }
        // The rule book: the step's rules (shards, blocks, samplers, temperatures), which the
        // trainer, the training session and `rbm bench` ask too (the data's width is not known
        // yet), then what the visible units ask of the data section. Each problem is reported
        // against --set when --set gave one of its keys.
        let problems = config.trainerConfiguration().problems(hiddenCount: config.model.hidden, visibleUnits: config.visibleUnits)
            + config.model.visible.dataProblems(parameters: config.data.unitParameters, binarizes: config.data.binarization != .none,
                                                standardizeForced: config.data.standardize == .yes)
        if let problem = problems.first {
            throw .inconsistent(ConfigLocation(file: problem.keys.contains(where: overridden.contains) ? "--set" : file,
                                               keyPath: problem.keys[0], line: nil), reason: problem.reason)
        }
        if config.training.sampler == .parallelTempering && config.training.temperingBase == .data && config.model.learnVariance {
            throw .inconsistent(ConfigLocation(file: source("training.tempering_base", "model.learn_variance"),
                                               keyPath: "training.tempering_base", line: nil),
                                reason: "tempering toward the data's base rates is not defined with learned variances (their chains live in u = v/σ, and σ moves): use training.tempering_base: none")
        }
        let name = config.output.name
        if !name.isEmpty, name.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) || name.hasPrefix(".") {
            throw .inconsistent(ConfigLocation(file: source("output.name"), keyPath: "output.name", line: nil),
                                reason: "'\(name)' is not a plain folder name (letters, digits, - _ . only)")
        }
    }

    /// The resolved config as YAML, every key written out (this is what a run folder keeps),
    /// except the layout keys of `training.layout: auto`, which the machine fills in.
    public static func render(_ config: ExperimentConfig) -> String {
        var lines: [String] = []
        for section in ConfigSchema.sections {
            lines.append("\(section):")
            for field in ConfigSchema.fields(in: section)
            where config.training.layout == .manual || !layoutKeys.contains(field.path) {
                lines.append("  \(field.key): \(yamlScalar(field.render(config)))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The keys whose values differ between two configs, as (key path, a, b).
    public static func differences(_ a: ExperimentConfig, _ b: ExperimentConfig) -> [(key: String, first: String, second: String)] {
        ConfigSchema.fields.compactMap { field in
            let (x, y) = (field.render(a), field.render(b))
            return x == y ? nil : (field.path, x, y)
        }
    }

    /// Every key with what it accepts and its default, for help text.
    public static func keyReference() -> String {
        let defaults = ExperimentConfig()
        return ConfigSchema.fields.map { field in
            let value = field.render(defaults)
            return "  \(field.path): \(field.expected) (default: \(value.isEmpty ? "none" : value))"
        }.joined(separator: "\n")
    }

    static func yamlScalar(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+".contains($0) }
        if plain { return text }
        return "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(scalar): return "'\(excerpt(scalar.string))'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The closest candidate by edit distance, when it is close enough to be a likely typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
