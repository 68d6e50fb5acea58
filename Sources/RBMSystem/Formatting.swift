/// Numbers and durations as the project prints them: without Foundation's locale machinery,
/// so that messages, tables and reports read the same on every machine.

/// A number with a fixed count of decimals: `format(3.14159, 2)` is "3.14".
public func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (abs(value) * scale).rounded()
    let integer = Int(rounded / scale)
    let fraction = Int(rounded - Double(integer) * scale)
    var text = "\(integer)"
    if decimals > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return (value < 0 && rounded > 0 ? "-" : "") + text
}

/// A number as a person would write it: "7" for 7.0, "0.5" for 0.5.
public func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// "1:02:03" or "2:03" for a duration in seconds; "–" when unknown.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "–" }
    let total = Int(seconds.rounded())
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
    let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
    return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
}

/// "41,234" for a count (rounded to an integer); "–" when not finite.
public func groupedThousands(_ value: Double) -> String {
    guard value.isFinite else { return "–" }
    let digits = String(Int(value.rounded()))
    var result = ""
    for (index, character) in digits.reversed().enumerated() {
        if index > 0, index % 3 == 0, character != "-" { result.append(",") }
        result.append(character)
    }
    return String(result.reversed())
}
