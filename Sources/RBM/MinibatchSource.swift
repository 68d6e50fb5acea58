/// Something the trainer can read a minibatch from. Shards call `copyRows` concurrently, each
/// for its own rows, so an implementation must be safe to read from several threads.
public protocol MinibatchSource: Sendable {
    /// Number of visible units of each row.
    var visibleCount: Int { get }
    /// Writes rows `rows` of the minibatch (visible vectors, row-major) to `destination`.
    func copyRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>)
}

/// A minibatch already in memory: `rows` visible vectors, row-major.
public struct MatrixMinibatch: MinibatchSource {
    public let values: [Float]
    public let visibleCount: Int

    public init(values: [Float], visibleCount: Int) {
        precondition(values.count % visibleCount == 0)
        self.values = values
        self.visibleCount = visibleCount
    }

    public func copyRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { buffer in
            destination.update(from: buffer.baseAddress! + rows.lowerBound * visibleCount,
                               count: rows.count * visibleCount)
        }
    }
}
