import RBM

/// `rbm inspect`: a readable description of any HDF5 file, with more for this project's own.
public enum Inspection {
    /// What `describe` found: the text to print, and for a checkpoint whatever is wrong with
    /// its state (`Checkpoint.problems()`, also listed in the text).
    public struct Report: Sendable, Equatable, Codable {
        public var text: String
        public var isCheckpoint: Bool
        public var problems: [CheckpointProblem]
    }

    public static func describe(path: String, showConfig: Bool = true) throws(StoreError) -> Report {
        let file = try HDF5File.openReadOnly(path: path)
        var lines: [String] = [path]
        let format = (try? file.stringAttribute("format")) ?? "(no format attribute: not written by rbm)"
        let version = (try? file.int64Attribute("format_version")).map(String.init) ?? "?"
        lines.append("  format: \(format), format_version \(version)")
        // Attributes by name, not by iterating them: fuzzing found corrupt attribute messages that
        // crash libhdf5 1.10's H5Aiterate2 (a null dereference in H5A__close).
        for name in knownAttributes where file.hasAttribute(name) {
            lines.append("  \(name): \(file.attributeText(name))")
        }
        lines.append("  contents:")
        var budget = maximumListedObjects
        describeGroup(file, "/", depth: 0, budget: &budget, into: &lines)
        var problems: [CheckpointProblem] = []
        if format == Checkpoint.format {
            do {
                let checkpoint = try Checkpoint.readContents(path: path)
                problems = checkpoint.problems()
                lines += summary(of: checkpoint)
            } catch {
                problems = [CheckpointProblem("the file", "\(error)")]
            }
            if !problems.isEmpty {
                lines.append("  NOT USABLE: \(problems.count) problem(s):")
                lines += problems.map { "    - \($0)" }
            }
        }
        if showConfig, let config = try? file.stringAttribute("config") {
            lines.append("  config:")
            lines += config.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        }
        return Report(text: lines.joined(separator: "\n"), isCheckpoint: format == Checkpoint.format, problems: problems)
    }

    /// The model, its counters and the last epoch's metrics.
    static func summary(of checkpoint: Checkpoint) -> [String] {
        let model = checkpoint.model
        var lines = [
            "  model: \(model.visibleCount) visible × \(model.hiddenCount) hidden, \(checkpoint.sampler.rawValue.uppercased()), "
                + "after \(checkpoint.epoch) epoch(s)"
                + (checkpoint.batchInEpoch > 0 ? " and \(checkpoint.batchInEpoch) batch(es)" : "") + ", step \(checkpoint.state.step)",
        ]
        if checkpoint.history.epochCount > 0 {
            lines.append("  history (last epoch):")
            for column in checkpoint.history.columns {
                lines.append("    \(column.name): \(column.values.last.map { "\($0)" } ?? "–")")
            }
        }
        return lines
    }

    /// The root attributes this project writes (besides format, format_version and config).
    static let knownAttributes = ["created_by", "seed", "epoch", "batch", "step", "sampler", "rng", "visible_units"]
        + VisibleUnits.registered.compactMap { $0.parameter?.checkpointAttribute }
        + ["image_rows", "image_columns", "checkpoint", "checkpoint_sha256", "input_checkpoint", "input_checkpoint_sha256",
           "n_hidden", "dataset", "description"]
    static let groupAttributes = ["step", "learning_rate", "momentum", "n_samples"]

    /// How deep and how many objects the contents listing goes. HDF5 allows hard links that
    /// make a group its own descendant (and a corrupt file can claim any), so an unbounded walk
    /// could recurse until the stack overflows (fuzzing found such files). This project's own
    /// files are two levels deep with a few dozen objects.
    static let maximumDepth = 16
    static let maximumListedObjects = 1_000

    /// Lists `group`'s members, and theirs, one line each, within `maximumDepth` levels and
    /// `budget` objects in all (a line says where the listing stops).
    static func describeGroup(_ file: HDF5File, _ group: String, depth: Int, budget: inout Int,
                              into lines: inout [String]) {
        let indent = "    " + String(repeating: "  ", count: depth)
        guard depth < maximumDepth else {
            lines.append("\(indent)… (groups nested deeper than \(maximumDepth) levels are not listed: a link cycle?)")
            return
        }
        for name in file.children(of: group) {
            guard budget > 0 else {
                // Said once, where the listing stops; the enclosing levels then stop silently.
                if budget == 0 { lines.append("\(indent)… (more objects; only the first \(maximumListedObjects) are listed)") }
                budget = -1
                return
            }
            budget -= 1
            let path = group == "/" ? "/" + name : group + "/" + name
            switch file.kind(of: path) {
            case .group:
                let attributes = groupAttributes.filter { file.hasAttribute($0, on: path) }
                    .map { "\($0)=\(file.attributeText($0, on: path))" }
                lines.append("\(indent)\(path)/" + (attributes.isEmpty ? "" : "  (" + attributes.joined(separator: ", ") + ")"))
                describeGroup(file, path, depth: depth + 1, budget: &budget, into: &lines)
            case .dataset:
                let shape = file.shape(of: path).map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "?"
                lines.append("\(indent)\(path)  \(shape) \(file.typeName(of: path))")
            case .other:
                lines.append("\(indent)\(path)  (other object)")
            }
        }
    }
}
