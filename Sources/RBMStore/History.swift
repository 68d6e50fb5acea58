/// The quantities recorded once per epoch: the columns of `metrics.csv` and the series of a
/// checkpoint's `/history` group (**contract**: these names are what h5py, pandas and the
/// sweep files read), in the order they are written. The one list of them: the CSV header,
/// the checkpoint history, the sweep's ranking metrics and the reports all read it.
public enum Metric: String, CaseIterable, Sendable {
    case epoch
    /// Mean squared one-step reconstruction error per sample (sum over visible units).
    case reconstructionError = "reconstruction_error"
    case validationReconstructionError = "validation_reconstruction_error"
    /// Mean free energy of the monitored training and validation samples.
    case freeEnergyTrain = "free_energy_train"
    case freeEnergyValidation = "free_energy_validation"
    /// F(validation) − F(train): growing means the model is overfitting.
    case freeEnergyGap = "free_energy_gap"
    case learningRate = "learning_rate"
    case momentum
    case samplesPerSecond = "samples_per_second"
    case seconds
    /// Periodic evaluation (`evaluation.every`) only; empty in other epochs.
    case pseudoLikelihood = "pseudo_likelihood"
    case logPartitionFunction = "log_z"
    case logLikelihood = "log_likelihood"
    case logLikelihoodLow = "log_likelihood_low"
    case logLikelihoodHigh = "log_likelihood_high"
    /// `evaluation.log_likelihood: bracket` only: reverse AIS's log Z and the bracket's
    /// conservative side, −mean F − that log Z.
    case reverseLogPartitionFunction = "log_z_reverse"
    case conservativeLogLikelihood = "log_likelihood_lower"
    /// Parallel tempering only: the epoch's fraction of accepted swaps, averaged over the
    /// pairs of neighbouring temperatures and at the worst pair (every pair: tempering.csv).
    case swapAcceptanceMean = "swap_acceptance_mean"
    case swapAcceptanceMin = "swap_acceptance_min"

    /// The CSV header line: every name, comma-separated.
    public static var csvHeader: String { allCases.map(\.rawValue).joined(separator: ",") }

    /// True for the metrics that only periodic evaluation computes (not every epoch).
    public var isPeriodic: Bool {
        switch self {
        case .pseudoLikelihood, .logPartitionFunction, .logLikelihood, .logLikelihoodLow, .logLikelihoodHigh,
             .reverseLogPartitionFunction, .conservativeLogLikelihood: return true
        default: return false
        }
    }
}

/// Per-epoch series, in column order (the checkpoint's /history group).
public struct History: Sendable, Equatable {
    public var columns: [(name: String, values: [Double])]

    public init(columns: [(name: String, values: [Double])] = []) {
        self.columns = columns
    }

    public subscript(name: String) -> [Double]? {
        columns.first { $0.name == name }?.values
    }

    public var epochCount: Int { columns.first?.values.count ?? 0 }

    /// The first `count` epochs.
    public func prefix(_ count: Int) -> History {
        History(columns: columns.map { ($0.name, Array($0.values.prefix(count))) })
    }

    public static func == (lhs: History, rhs: History) -> Bool {
        lhs.columns.map(\.name) == rhs.columns.map(\.name) && lhs.columns.map(\.values) == rhs.columns.map(\.values)
    }
}

extension History {
    /// Sorts the columns into `Metric` order; unknown names follow, by name.
    mutating func sortColumns() {
        let order = Metric.allCases.map(\.rawValue)
        func key(_ name: String) -> (Int, String) { (order.firstIndex(of: name) ?? order.count, name) }
        columns.sort { key($0.name) < key($1.name) }
    }
}
