import RBMSystem

/// Small text helpers the configs, sweeps and reports share.

/// Escapes text for HTML and SVG.
public func escape(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        default: result.append(character)
        }
    }
    return result
}

/// `text` cut to `limit` characters (with "…" and the count left out), so that a message
/// quoting what a user wrote stays one readable line however long that was.
func excerpt(_ text: String, limit: Int = 80) -> String {
    guard text.count > limit else { return text }
    return String(text.prefix(limit)) + "… (\(text.count - limit) more characters)"
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
}

/// A number with four significant digits, in plain notation (parseable by the config reader).
func shortNumber(_ value: Double) -> String {
    guard value != 0, value.isFinite else { return "\(value)" }
    var digits = 3
    var magnitude = abs(value)
    while magnitude < 1 { magnitude *= 10; digits += 1 }
    return format(value, min(digits, 12))
}

extension String {
    /// The text without leading and trailing white space.
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }

    /// Every occurrence of `target` replaced (without Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
