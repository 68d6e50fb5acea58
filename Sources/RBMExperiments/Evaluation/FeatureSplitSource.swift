import RBM
import RBMData
import RBMSystem

/// A split whose samples are read in order, a block at a time.
public protocol FeatureSplitSource: AnyObject {
    var name: String { get }
    var count: Int { get }
    var featureCount: Int { get }
    var hasLabels: Bool { get }
    /// Where the samples come from, for the file's provenance.
    var sourceDescription: String { get }
    func next(maximum: Int) throws -> (values: [Float], labels: [Int32]?)?
}

extension IDXSplitStream: FeatureSplitSource {
    public var sourceDescription: String { "\(imagePath) rows \(range.lowerBound)..<\(range.upperBound)" }
}

/// An in-memory dataset as a split (the training loop's data, already loaded).
public final class DatasetSplitSource: FeatureSplitSource {
    public let name: String
    let dataset: Dataset
    let threshold: Bool
    var position = 0

    public init(name: String, dataset: Dataset, threshold: Bool) {
        self.name = name
        self.dataset = dataset
        self.threshold = threshold
    }

    public var count: Int { dataset.count }
    public var featureCount: Int { dataset.featureCount }
    public var hasLabels: Bool { dataset.labels != nil }
    public var sourceDescription: String { dataset.source }

    public func next(maximum: Int) throws -> (values: [Float], labels: [Int32]?)? {
        let rows = min(maximum, count - position)
        guard rows > 0 else { return nil }
        let range = position..<(position + rows)
        position += rows
        var values = Array(dataset.values[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)])
        if threshold { for index in values.indices { values[index] = values[index] >= 0.5 ? 1 : 0 } }
        return (values, dataset.labels.map { Array($0[range]) })
    }
}

public enum FeatureError: ExitStatusError {
    case visibleMismatch(source: String, dataFeatures: Int, modelVisible: Int)

    public var description: String {
        switch self {
        case let .visibleMismatch(source, features, visible):
            return "\(source): samples have \(features) values but the model has \(visible) visible units"
        }
    }
}
