import RBMStore
import RBMSystem

/// One epoch's monitors, as printed and as written to `metrics.csv` and the checkpoint's
/// `/history`. The columns and their order are `Metric.allCases`.
public struct EpochMetrics: Sendable, Equatable {
    public var epoch: Int
    /// Mean squared one-step reconstruction error per sample (sum over visible units).
    public var reconstructionError: Double
    public var validationReconstructionError: Double?
    /// Mean free energy of the monitored training and validation samples.
    public var freeEnergyTrain: Double
    public var freeEnergyValidation: Double?
    public var learningRate: Double
    public var momentum: Double
    public var samplesPerSecond: Double
    public var seconds: Double
    /// From periodic evaluation (`evaluation.every`), on `evaluation.split`; nil otherwise.
    public var pseudoLikelihood: Double? = nil
    public var logPartitionFunction: Double? = nil
    public var logLikelihood: Double? = nil
    public var logLikelihoodLower: Double? = nil
    public var logLikelihoodUpper: Double? = nil
    /// With `evaluation.log_likelihood: bracket`: reverse AIS's log Z and the conservative
    /// log-likelihood.
    public var reverseLogPartitionFunction: Double? = nil
    public var conservativeLogLikelihood: Double? = nil
    /// Parallel tempering: the fraction of swaps accepted this epoch, averaged over the pairs
    /// of neighbouring temperatures and at the worst pair (nil for the other samplers), and
    /// per pair (written to tempering.csv, not to the history).
    public var swapAcceptanceMean: Double? = nil
    public var swapAcceptanceMin: Double? = nil
    public var swapAcceptancePerPair: [Double]? = nil {
        didSet {
            swapAcceptanceMean = swapAcceptancePerPair.flatMap { $0.isEmpty ? nil : $0.reduce(0, +) / Double($0.count) }
            swapAcceptanceMin = swapAcceptancePerPair.flatMap { $0.min() }
        }
    }

    /// Adjusted Langevin (`training.langevin_adjust`): the fraction of proposals accepted this
    /// epoch (printed, not in the history).
    public var langevinAcceptance: Double? = nil

    /// F(validation) − F(train): growing means the model is overfitting.
    public var freeEnergyGap: Double? { freeEnergyValidation.map { $0 - freeEnergyTrain } }

    /// The value of one metric, nil where this epoch has none.
    public subscript(metric: Metric) -> Double? {
        switch metric {
        case .epoch: return Double(epoch)
        case .reconstructionError: return reconstructionError
        case .validationReconstructionError: return validationReconstructionError
        case .freeEnergyTrain: return freeEnergyTrain
        case .freeEnergyValidation: return freeEnergyValidation
        case .freeEnergyGap: return freeEnergyGap
        case .learningRate: return learningRate
        case .momentum: return momentum
        case .samplesPerSecond: return samplesPerSecond
        case .seconds: return seconds
        case .pseudoLikelihood: return pseudoLikelihood
        case .logPartitionFunction: return logPartitionFunction
        case .logLikelihood: return logLikelihood
        case .logLikelihoodLow: return logLikelihoodLower
        case .logLikelihoodHigh: return logLikelihoodUpper
        case .reverseLogPartitionFunction: return reverseLogPartitionFunction
        case .conservativeLogLikelihood: return conservativeLogLikelihood
        case .swapAcceptanceMean: return swapAcceptanceMean
        case .swapAcceptanceMin: return swapAcceptanceMin
        }
    }

    public static var csvHeader: String { Metric.csvHeader }

    /// The metrics in `csvHeader` order; an absent value is an empty field.
    public var csvLine: String {
        Metric.allCases.map { metric in
            metric == .epoch ? String(epoch) : self[metric].map { "\($0)" } ?? ""
        }.joined(separator: ",")
    }

    /// Per-epoch series for a checkpoint's /history group (NaN where an epoch has no value).
    public static func history(_ metrics: [EpochMetrics]) -> History {
        History(columns: Metric.allCases.map { metric in (metric.rawValue, metrics.map { $0[metric] ?? .nan }) })
    }

    /// The epochs recorded in a checkpoint's history.
    public static func metrics(from history: History) -> [EpochMetrics] {
        (0..<history.epochCount).map { row in
            let value = { (metric: Metric) -> Double? in
                guard let column = history[metric.rawValue], row < column.count, !column[row].isNaN else { return nil }
                return column[row]
            }
            return EpochMetrics(
                epoch: Int(value(.epoch) ?? Double(row + 1)), reconstructionError: value(.reconstructionError) ?? .nan,
                validationReconstructionError: value(.validationReconstructionError),
                freeEnergyTrain: value(.freeEnergyTrain) ?? .nan, freeEnergyValidation: value(.freeEnergyValidation),
                learningRate: value(.learningRate) ?? .nan, momentum: value(.momentum) ?? .nan,
                samplesPerSecond: value(.samplesPerSecond) ?? .nan, seconds: value(.seconds) ?? .nan,
                pseudoLikelihood: value(.pseudoLikelihood), logPartitionFunction: value(.logPartitionFunction),
                logLikelihood: value(.logLikelihood), logLikelihoodLower: value(.logLikelihoodLow),
                logLikelihoodUpper: value(.logLikelihoodHigh),
                reverseLogPartitionFunction: value(.reverseLogPartitionFunction),
                conservativeLogLikelihood: value(.conservativeLogLikelihood),
                swapAcceptanceMean: value(.swapAcceptanceMean), swapAcceptanceMin: value(.swapAcceptanceMin))
        }
    }

    /// The epoch's line as printed after it ends.
    public var summary: String {
        var parts = ["recon \(format(reconstructionError, 3))"]
        if let validation = validationReconstructionError { parts.append("(valid \(format(validation, 3)))") }
        parts.append("F(train) \(format(freeEnergyTrain, 2))")
        if let validation = freeEnergyValidation, let gap = freeEnergyGap {
            parts.append("F(valid) \(format(validation, 2))  gap \(format(gap, 2))")
        }
        parts.append("lr \(format(learningRate, 4))  μ \(format(momentum, 2))")
        parts.append("\(groupedThousands(samplesPerSecond)) samples/s  \(format(seconds, 1)) s")
        if let mean = swapAcceptanceMean, let worst = swapAcceptanceMin {
            parts.append("swaps \(format(100 * mean, 0))% (worst pair \(format(100 * worst, 0))%)")
        }
        if let langevinAcceptance { parts.append("Langevin accepted \(format(100 * langevinAcceptance, 1))%") }
        var line = parts.joined(separator: "  ")
        if let logLikelihood {
            line += "\n        log-likelihood \(format(logLikelihood, 2)) nats (log Z \(format(logPartitionFunction ?? .nan, 2)))"
            if let conservativeLogLikelihood {
                line += ", bracket [\(format(conservativeLogLikelihood, 2)), \(format(logLikelihood, 2))]"
            }
        }
        if let pseudoLikelihood { line += (logLikelihood == nil ? "\n       " : "") + "  pseudo-LL \(format(pseudoLikelihood, 2))" }
        return line
    }
}
