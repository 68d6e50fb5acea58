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

/// One minibatch of any row source: rows `order[start..<start+B]`, gathered and binarized for
/// `epoch`. Sample `s` always draws from row `s` of the binarization stream, wherever it lands
/// in a batch, so the same data in memory or in a file give the same bits. Shards read their
/// own rows concurrently; nothing here is mutated.
public struct SourceMinibatch: MinibatchSource, @unchecked Sendable {
    public let source: any RowSource
    public let order: ArraySlice<Int>
    public let binarization: Binarization
    public let epoch: UInt32
    public let seed: UInt64

    public init(source: any RowSource, order: ArraySlice<Int>, binarization: Binarization, epoch: Int, seed: UInt64) {
        self.source = source
        self.order = order
        self.binarization = binarization
        self.epoch = UInt32(truncatingIfNeeded: epoch)
        self.seed = seed
    }

    public var visibleCount: Int { source.featureCount }

    public func copyRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let start = order.startIndex
        let samples = order[(start + rows.lowerBound)..<(start + rows.upperBound)]
        // Sources were checked when the run started (DataScan); a read failing now is a file
        // changed under a running job, and there is no way to go on from it.
        do { try source.copyRows(samples, into: destination) } catch { fatalError("\(error)") }
        binarization.apply(gathered: destination, samples: samples, featureCount: visibleCount, epoch: epoch, seed: seed,
                           into: destination)
    }
}

/// The visiting order of a split streamed in blocks of `blockRows` rows: the blocks in a
/// shuffled order, and the rows of each block shuffled among themselves, each a pure function
/// of (seed, epoch) — so any epoch, and any minibatch of it, can be recomputed, and memory holds
/// only the blocks a minibatch touches. Compared with a full shuffle, rows of one block meet in
/// the same few minibatches each epoch; a block of many minibatches keeps that effect small.
public struct BlockOrder: Sendable {
    public let count: Int
    public let blockRows: Int
    public let seed: UInt64
    public let epoch: Int
    /// The blocks in visiting order.
    public let blocks: [Int]
    /// Where each visited block starts in the epoch's order (one more entry: `count`).
    let starts: [Int]

    public init(count: Int, blockRows: Int, seed: UInt64, epoch: Int) {
        self.count = count
        self.blockRows = blockRows
        self.seed = seed
        self.epoch = epoch
        let blockCount = (count + blockRows - 1) / blockRows
        let stream = RandomStream(seed: seed, purpose: .blockShuffle, step: UInt32(truncatingIfNeeded: epoch))
        var blocks = Array(0..<blockCount)
        if blockCount > 1 {
            for i in stride(from: blockCount - 1, to: 0, by: -1) {
                blocks.swapAt(i, stream.integer(below: i + 1, row: 0, index: UInt32(i)))
            }
        }
        self.blocks = blocks
        var starts = [0]
        for block in blocks { starts.append(starts.last! + Self.size(of: block, count: count, blockRows: blockRows)) }
        self.starts = starts
    }

    static func size(of block: Int, count: Int, blockRows: Int) -> Int { min(blockRows, count - block * blockRows) }

    /// The rows of block `block`, in its shuffled order (global row indices).
    public func rows(ofBlock block: Int) -> [Int] {
        let first = block * blockRows
        var rows = Array(first..<(first + Self.size(of: block, count: count, blockRows: blockRows)))
        let stream = RandomStream(seed: seed, purpose: .blockShuffle, step: UInt32(truncatingIfNeeded: epoch))
        if rows.count > 1 {
            for i in stride(from: rows.count - 1, to: 0, by: -1) {
                rows.swapAt(i, stream.integer(below: i + 1, row: UInt32(truncatingIfNeeded: block + 1), index: UInt32(i)))
            }
        }
        return rows
    }

    /// The visit (index into `blocks`) that position `position` of the epoch falls in.
    func visit(containing position: Int) -> Int {
        var low = 0, high = blocks.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= position { low = middle } else { high = middle - 1 }
        }
        return low
    }
}

/// An epoch of a streamed split: minibatch `i` holds positions i·B ..< (i+1)·B of a `BlockOrder`,
/// read from the blocks it touches (at most two are held in memory; a block left behind gives
/// its file pages back). Reading minibatches in order costs one read of every block per epoch.
public final class StreamedEpoch {
    public let source: any RowSource
    public let order: BlockOrder
    public let batchSize: Int
    public let binarization: Binarization
    private var held: [Int: (rows: [Int], values: Dataset)] = [:]

    public init(source: any RowSource, order: BlockOrder, batchSize: Int, binarization: Binarization) {
        self.source = source
        self.order = order
        self.batchSize = batchSize
        self.binarization = binarization
    }

    /// Minibatch `index` of the epoch, gathered into memory.
    public func minibatch(_ index: Int) throws(DataError) -> GatheredMinibatch {
        let d = source.featureCount
        var values = [Float](repeating: 0, count: batchSize * d)
        var samples: [Int] = []
        samples.reserveCapacity(batchSize)
        var position = index * batchSize
        let end = position + batchSize
        while position < end {
            let visit = order.visit(containing: position)
            let block = try hold(visit: visit)
            let offset = position - order.starts[visit]
            let take = min(end, order.starts[visit + 1]) - position
            values.withUnsafeMutableBufferPointer { target in
                block.values.values.withUnsafeBufferPointer { from in
                    for k in 0..<take {
                        let local = block.rows[offset + k] - order.blocks[visit] * order.blockRows
                        (target.baseAddress! + (samples.count + k) * d).update(from: from.baseAddress! + local * d, count: d)
                    }
                }
            }
            samples += block.rows[offset..<(offset + take)]
            position += take
        }
        return GatheredMinibatch(values: values, samples: samples, featureCount: d, binarization: binarization,
                                 epoch: order.epoch, seed: order.seed)
    }

    /// The block of visit `visit`, read if need be; blocks of earlier visits are let go.
    private func hold(visit: Int) throws(DataError) -> (rows: [Int], values: Dataset) {
        if let block = held[visit] { return block }
        for (old, _) in held where old < visit - 1 || old > visit {
            let block = order.blocks[old]
            source.release((block * order.blockRows)..<(block * order.blockRows + BlockOrder.size(of: block, count: order.count, blockRows: order.blockRows)))
            held[old] = nil
        }
        let block = order.blocks[visit]
        let first = block * order.blockRows
        let range = first..<(first + BlockOrder.size(of: block, count: order.count, blockRows: order.blockRows))
        let loaded = (rows: order.rows(ofBlock: block), values: try source.read(range))
        held[visit] = loaded
        return loaded
    }
}

/// Rows already gathered in memory with the dataset samples they are, binarized per shard.
public struct GatheredMinibatch: MinibatchSource {
    public let values: [Float]
    public let samples: [Int]
    public let featureCount: Int
    public let binarization: Binarization
    public let epoch: Int
    public let seed: UInt64

    public var visibleCount: Int { featureCount }

    public func copyRows(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { buffer in
            binarization.apply(gathered: buffer.baseAddress! + rows.lowerBound * featureCount, samples: samples[rows],
                               featureCount: featureCount, epoch: UInt32(truncatingIfNeeded: epoch), seed: seed,
                               into: destination)
        }
    }
}
