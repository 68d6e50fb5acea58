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

/// Any split as a stream of blocks (the training loop's data: in memory, or mapped from a
/// file and read a block at a time).
public final class RowSourceSplit: FeatureSplitSource {
    public let name: String
    let source: any RowSource
    let threshold: Bool
    var position = 0

    public init(name: String, source: any RowSource, threshold: Bool) {
        self.name = name
        self.source = source
        self.threshold = threshold
    }

    public var count: Int { source.count }
    public var featureCount: Int { source.featureCount }
    public var hasLabels: Bool { source.hasLabels }
    public var sourceDescription: String { source.source }

    public func next(maximum: Int) throws -> (values: [Float], labels: [Int32]?)? {
        let rows = min(maximum, count - position)
        guard rows > 0 else { return nil }
        let range = position..<(position + rows)
        position += rows
        var block = try source.read(range)
        source.release(range)
        if threshold { for index in block.values.indices { block.values[index] = block.values[index] >= 0.5 ? 1 : 0 } }
        return (block.values, block.labels)
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
