import RBMStore

extension SweepOutcome {
    /// The outcome as lines of text, for sending from the rank that trained the run to rank 0:
    ///
    ///     status done
    ///     seconds 12.5
    ///     error …            (newlines escaped; only for a failed run)
    ///     final reconstruction_error 81.4
    ///     latest log_likelihood -88.2
    ///
    /// Values are printed with Swift's shortest round-tripping form, so they arrive unchanged.
    func message() -> String {
        var lines = ["status \(status.rawValue)", "seconds \(seconds)"]
        if let error { lines.append("error " + error.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")) }
        for metric in Metric.allCases {
            if let value = final?[metric] { lines.append("final \(metric.rawValue) \(value)") }
            if let value = latestEvaluated[metric] { lines.append("latest \(metric.rawValue) \(value)") }
        }
        return lines.joined(separator: "\n")
    }

    /// The outcome `message()` described, for `point`; nil when the text is not one.
    init?(message: String, point: SweepSpec.Point) {
        var status: Status?
        var seconds = 0.0
        var error: String?
        var final: [Metric: Double] = [:], latest: [Metric: Double] = [:]
        for line in message.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2 else { return nil }
            switch parts[0] {
            case "status": status = Status(rawValue: parts.dropFirst().joined(separator: " "))
            case "seconds": seconds = Double(parts[1]) ?? .nan
            case "error":
                error = String(line.dropFirst(6)).replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\\", with: "\\")
            case "final", "latest":
                guard parts.count == 3, let metric = Metric(rawValue: parts[1]), let value = Double(parts[2]) else { return nil }
                if parts[0] == "final" { final[metric] = value } else { latest[metric] = value }
            default: return nil
            }
        }
        guard let status else { return nil }
        let history = History(columns: Metric.allCases.map { ($0.rawValue, [final[$0] ?? .nan]) })
        self.init(point: point, status: status, final: final.isEmpty ? nil : EpochMetrics.metrics(from: history).first,
                  latestEvaluated: latest, seconds: seconds, error: error)
    }
}
