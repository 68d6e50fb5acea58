import RBMSystem

/// Where in a config a problem is: the file (or `--set`), the key path and the line.
public struct ConfigLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var keyPath: String?
    public var line: Int?

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let keyPath { text += ": \(keyPath)" }
        return text
    }
}

/// A config that cannot be used, with where and why.
public enum ConfigError: ExitStatusError, Equatable {
    case cannotRead(file: String, reason: String)
    case invalidYAML(file: String, detail: String)
    case notAMapping(ConfigLocation, found: String)
    case unknownKey(ConfigLocation, suggestion: String?, validKeys: [String])
    case duplicateKey(ConfigLocation)
    case wrongType(ConfigLocation, expected: String, found: String)
    case outOfRange(ConfigLocation, expected: String, found: String)
    case badOverride(String, reason: String)
    case inconsistent(ConfigLocation, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason):
            return "\(file): cannot read the config: \(reason)"
        case let .invalidYAML(file, detail):
            // The parser echoes the offending line, which can be a whole document on one line.
            let lines = detail.split(separator: "\n", omittingEmptySubsequences: false).prefix(8)
            return "\(file): not valid YAML: " + lines.map { excerpt(String($0), limit: 200) }.joined(separator: "\n")
        case let .notAMapping(location, found):
            return "\(location): expected a mapping of keys to values, found \(found)"
        case let .unknownKey(location, suggestion, validKeys):
            let hint = suggestion.map { "did you mean '\($0)'? " } ?? ""
            return "\(location): unknown key; \(hint)valid keys here: \(validKeys.joined(separator: ", "))"
        case let .duplicateKey(location):
            return "\(location): key given twice"
        case let .wrongType(location, expected, found):
            return "\(location): expected \(expected), found \(found)"
        case let .outOfRange(location, expected, found):
            return "\(location): \(found) is out of range; expected \(expected)"
        case let .badOverride(text, reason):
            return "--set \(text): \(reason)"
        case let .inconsistent(location, reason):
            return "\(location): \(reason)"
        }
    }

    /// A config that cannot be used is a usage error: exit status 2, before anything runs.
    public var exitStatus: Int32 { 2 }
}
