import RBMStore
import RBMSystem

/// The files of one run, `<output.folder>/<output.name>/`. The one place the layout is spelled
/// out: training, resume, sweeps, `rbm reproduce` and the command line all ask this type.
///
///     config.yaml      the resolved config
///     metrics.csv      one line per epoch (`Metric` columns)
///     checkpoint.h5    the latest checkpoint (written atomically)
///     features.h5      P(h=1|v) of every split
///     tempering.csv    parallel tempering: swap acceptance per pair of temperatures, per epoch
///     filters.png, reconstructions.png, samples.png, curves.svg, report.html
public struct RunFolder: Sendable, Equatable, CustomStringConvertible {
    public static let configFile = "config.yaml"
    public static let metricsFile = "metrics.csv"
    public static let checkpointFile = "checkpoint.h5"
    public static let featuresFile = "features.h5"
    public static let temperingFile = "tempering.csv"

    /// The folder's path, as given (relative or absolute), without a trailing slash.
    public let path: String

    public init(path: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    /// `<parent>/<name>`.
    public init(parent: String, name: String) {
        self.init(path: parent + "/" + name)
    }

    /// The folder a checkpoint file lies in (its run folder when it was written by training).
    public init(holding checkpoint: String) {
        self.init(path: parentFolder(of: checkpoint))
    }

    public var description: String { path }

    /// The last path component: the run's `output.name`.
    public var name: String { String(path.split(separator: "/").last ?? Substring(path)) }

    /// The folder holding this one: the run's `output.folder`.
    public var parent: String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return "." }
        let joined = parts.dropLast().joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public var config: String { file(Self.configFile) }
    public var metrics: String { file(Self.metricsFile) }
    public var checkpoint: String { file(Self.checkpointFile) }
    public var features: String { file(Self.featuresFile) }
    /// Parallel tempering's swap acceptance per pair of temperatures, one row per epoch.
    public var tempering: String { file(Self.temperingFile) }

    /// True when the folder holds a checkpoint.
    public var hasCheckpoint: Bool { fileExists(checkpoint) }
}
