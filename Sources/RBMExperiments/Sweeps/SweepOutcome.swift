import RBMStore
import RBMSystem

/// One run's outcome in a sweep.
public struct SweepOutcome: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        case done, budget, failed, skipped = "done (earlier)"
        /// `--collect` only: the run has a checkpoint short of its last epoch, or none at all.
        case incomplete, missing = "not run"
    }
    /// Written into a run's folder when the run ends (done, budget or failed; see
    /// `message()`), so that `--collect` reports it exactly, whichever machine trained it.
    public static let file = "outcome.txt"
    public var point: SweepSpec.Point
    public var status: Status
    public var final: EpochMetrics?
    /// The latest value of each periodic metric (they are not computed every epoch).
    public var latestEvaluated: [Metric: Double]
    public var seconds: Double
    public var error: String?

    /// The run's value of a metric: the last epoch's, or for the metrics only periodic
    /// evaluation computes, the latest evaluated one.
    public func value(of metric: Metric) -> Double? {
        metric.isPeriodic ? latestEvaluated[metric] : final?[metric]
    }

    init(point: SweepSpec.Point, status: Status, final: EpochMetrics?, latestEvaluated: [Metric: Double],
         seconds: Double, error: String?) {
        self.point = point
        self.status = status
        self.final = final
        self.latestEvaluated = latestEvaluated
        self.seconds = seconds
        self.error = error
    }

    init(point: SweepSpec.Point, status: Status, history: [EpochMetrics], seconds: Double, error: String? = nil) {
        self.point = point
        self.status = status
        final = history.last
        var latest: [Metric: Double] = [:]
        for metric in Metric.allCases where metric.isPeriodic {
            latest[metric] = history.last(where: { $0[metric] != nil })?[metric]
        }
        latestEvaluated = latest
        self.seconds = seconds
        self.error = error
    }
}

extension Metric {
    /// The metrics a sweep can rank its runs by, in the order results.csv lists them.
    public static let rankable: [Metric] = [
        .reconstructionError, .validationReconstructionError, .freeEnergyGap, .logLikelihood, .conservativeLogLikelihood,
        .pseudoLikelihood,
    ]

    /// True for likelihoods (a sweep maximizes them by default); false for errors and gaps.
    public var higherIsBetter: Bool { [.logLikelihood, .conservativeLogLikelihood, .pseudoLikelihood].contains(self) }
}
