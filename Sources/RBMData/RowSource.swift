/// Rows of numbers with optional integer labels: one split of a data set, in memory or in a
/// file. The trainer never sees a format: it reads rows through this protocol, a minibatch or
/// a block at a time. Reads of different rows may run on several threads at once.
///
/// Values come out as float32 already divided by the source's scale: for Bernoulli units they
/// are probabilities in [0, 1] (checked by `DataScan`).
public protocol RowSource: Sendable {
    var count: Int { get }
    var featureCount: Int { get }
    var hasLabels: Bool { get }
    /// (rows, columns) of one sample when the data are images, for pictures.
    var imageShape: (rows: Int, columns: Int)? { get }
    /// Where the data come from, for messages and provenance.
    var source: String { get }
    /// The file (or array) the rows are read from, and the row of it that is this source's row
    /// 0: messages about a value name the row as the file counts it (a held-out validation
    /// split starts in the middle of its file).
    var file: String { get }
    var firstRowInFile: Int { get }
    /// Writes rows `indices` (in that order) to `destination`, one after another.
    func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError)
    /// The labels of rows `range`, or nil when the source has none.
    func labels(_ range: Range<Int>) throws(DataError) -> [Int32]?
    /// Tells the source that rows `range` will not be read again soon (a mapped file gives
    /// their pages back, so that streaming a large file keeps memory bounded).
    func release(_ range: Range<Int>)
}

extension RowSource {
    /// Rows `range` as an in-memory dataset (with their labels).
    public func read(_ range: Range<Int>) throws(DataError) -> Dataset {
        var values = [Float](repeating: 0, count: range.count * featureCount)
        if !range.isEmpty {
            try values.withUnsafeMutableBufferPointer { (buffer) throws(DataError) in
                try copyRows(range, into: buffer.baseAddress!)
            }
        }
        return Dataset(values: values, count: range.count, featureCount: featureCount, labels: try labels(range),
                       imageShape: imageShape, source: range == 0..<count ? source : "\(source)[\(range.lowerBound)..<\(range.upperBound)]")
    }

    /// The first `n` rows (or all when there are fewer) in memory.
    public func firstRows(_ n: Int) throws(DataError) -> Dataset { try read(0..<min(n, count)) }

    public func release(_ range: Range<Int>) {}

    public var file: String { source }
    public var firstRowInFile: Int { 0 }

    /// Rows `range` of this source as a source of their own (row 0 is row `range.lowerBound`).
    public func rows(_ range: Range<Int>) -> any RowSource {
        RowRange(base: self, range: range)
    }
}

extension Dataset: RowSource {
    public var hasLabels: Bool { labels != nil }

    public func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        values.withUnsafeBufferPointer { values in
            for (position, row) in indices.enumerated() {
                (destination + position * featureCount).update(from: values.baseAddress! + row * featureCount, count: featureCount)
            }
        }
    }

    public func labels(_ range: Range<Int>) throws(DataError) -> [Int32]? { labels.map { Array($0[range]) } }
}

/// A source made from another (a range of its rows, its codes one-hot, its values
/// standardised): everything it does not change passes through from `base`.
public protocol DerivedRowSource: RowSource {
    var base: any RowSource { get }
}

extension DerivedRowSource {
    public var count: Int { base.count }
    public var featureCount: Int { base.featureCount }
    public var hasLabels: Bool { base.hasLabels }
    public var imageShape: (rows: Int, columns: Int)? { base.imageShape }
    public var source: String { base.source }
    public var file: String { base.file }
    public var firstRowInFile: Int { base.firstRowInFile }
    public func labels(_ range: Range<Int>) throws(DataError) -> [Int32]? { try base.labels(range) }
    public func release(_ range: Range<Int>) { base.release(range) }
}

/// A contiguous range of another source's rows (a held-out validation split, the first N
/// training samples).
struct RowRange: DerivedRowSource {
    let base: any RowSource
    let range: Range<Int>

    var count: Int { range.count }
    var source: String { "\(base.source)[\(range.lowerBound)..<\(range.upperBound)]" }
    var firstRowInFile: Int { base.firstRowInFile + range.lowerBound }

    func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        try base.copyRows(indices.lazy.map { $0 + range.lowerBound }, into: destination)
    }

    func labels(_ rows: Range<Int>) throws(DataError) -> [Int32]? {
        try base.labels((rows.lowerBound + range.lowerBound)..<(rows.upperBound + range.lowerBound))
    }

    func release(_ rows: Range<Int>) {
        base.release((rows.lowerBound + range.lowerBound)..<(rows.upperBound + range.lowerBound))
    }
}
