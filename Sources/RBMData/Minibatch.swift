import RBM

/// The order in which an epoch visits the samples: a Fisher–Yates shuffle whose draws are a
/// pure function of (seed, epoch), so any epoch can be replayed without the ones before it.
public func shuffledOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var order = Array(0..<count)
    let stream = RandomStream(seed: seed, purpose: .shuffle, step: UInt32(truncatingIfNeeded: epoch))
    if count < 2 { return order }
    for i in stride(from: count - 1, to: 0, by: -1) {
        let j = stream.integer(below: i + 1, row: 0, index: UInt32(i))
        order.swapAt(i, j)
    }
    return order
}

/// One minibatch: rows `order[start..<start+B]` of a dataset, binarized for `epoch`.
/// Shards read their own rows concurrently; nothing here is mutated.
public struct DatasetMinibatch: MinibatchSource, @unchecked Sendable {
    public let dataset: Dataset
    public let order: ArraySlice<Int>
    public let binarization: Binarization
    public let epoch: UInt32
    public let seed: UInt64

    public init(dataset: Dataset, order: ArraySlice<Int>, binarization: Binarization,
                epoch: Int, seed: UInt64) {
        self.dataset = dataset
        self.order = order
        self.binarization = binarization
        self.epoch = UInt32(truncatingIfNeeded: epoch)
        self.seed = seed
    }

    public var visibleCount: Int { dataset.featureCount }

    public func copyRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let start = order.startIndex
        binarization.apply(to: dataset, samples: order[(start + rows.lowerBound)..<(start + rows.upperBound)],
                           epoch: epoch, seed: seed, into: destination)
    }
}
