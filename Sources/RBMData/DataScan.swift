/// One pass over a split, a block of rows at a time: every value checked, and the visible
/// marginals computed. Memory stays at one block whatever the split's size.
public enum DataScan {
    /// Rows read together.
    public static let blockRows = 4096

    /// Checks that every value is finite and, when `unitInterval`, in [0, 1] (what Bernoulli
    /// units take as probabilities); the first bad value is an error naming the source, its
    /// row and column, and the ways out.
    public static func check(_ source: any RowSource, unitInterval: Bool) throws(DataError) {
        try forEachBlock(source, unitInterval: unitInterval) { _, _, _ in }  // the checks run inside
    }

    /// The visible marginals p_i the binarized data have in expectation (the intensities'
    /// means, or for `threshold` the fraction at or above 0.5), after checking every value as
    /// `check` does (any finite value passes under `threshold`, which needs no probabilities,
    /// and without `unitInterval`, for Gaussian units).
    /// Sums run over rows in order, in double precision: the same bits for a split in memory
    /// and the same split streamed from a file.
    public static func marginals(of source: any RowSource, binarization: Binarization,
                                 unitInterval: Bool = true) throws(DataError) -> [Float] {
        try moments(of: source, binarization: binarization, unitInterval: unitInterval).means
    }

    /// The marginals (`means`, as `marginals` computes them) and each unit's variance over the
    /// split, E[x²] − E[x]² from the same pass's sums in double precision (for `threshold`, of
    /// the 0/1 values): what AIS's base model for Gaussian units is fit to.
    public static func moments(of source: any RowSource, binarization: Binarization,
                               unitInterval: Bool = true) throws(DataError) -> (means: [Float], variances: [Float]) {
        let d = source.featureCount
        var sums = [Double](repeating: 0, count: d), squares = sums
        try forEachBlock(source, unitInterval: unitInterval && binarization != .threshold) { values, rows, _ in
            for row in 0..<rows {
                let base = row * d
                if binarization == .threshold {
                    for i in 0..<d where values[base + i] >= 0.5 { sums[i] += 1; squares[i] += 1 }
                } else {
                    for i in 0..<d {
                        let value = Double(values[base + i])
                        sums[i] += value
                        squares[i] += value * value
                    }
                }
            }
        }
        let count = Double(max(source.count, 1))
        let means = sums.map { Float($0 / count) }
        let variances = zip(sums, squares).map { sum, square in Float(max(0, square / count - (sum / count) * (sum / count))) }
        return (means, variances)
    }

    /// Calls `body(values, rows, firstRow)` for each block, after checking its values.
    static func forEachBlock(_ source: any RowSource, unitInterval: Bool = true,
                             _ body: (UnsafePointer<Float>, Int, Int) -> Void) throws(DataError) {
        let d = source.featureCount
        var buffer = [Float](repeating: 0, count: min(blockRows, max(source.count, 1)) * d)
        var start = 0
        while start < source.count {
            let rows = min(blockRows, source.count - start)
            try buffer.withUnsafeMutableBufferPointer { (pointer) throws(DataError) in
                let values = pointer.baseAddress!
                try source.copyRows(start..<(start + rows), into: values)
                for index in 0..<(rows * d) {
                    let value = values[index]
                    if !value.isFinite || (unitInterval && !(value >= 0 && value <= 1)) {
                        throw .badValue(path: source.file, row: source.firstRowInFile + start + index / d, column: index % d, value: value,
                                        detail: value.isFinite ? outsideUnitInterval : "is not a finite number")
                    }
                }
                body(values, rows, start)
            }
            source.release(start..<(start + rows))
            start += rows
        }
    }

    static let outsideUnitInterval = "is outside [0, 1], which Bernoulli visible units take as probabilities: "
        + "divide by the data's maximum with data.scale (e.g. 255 for bytes), or binarize any values with "
        + "data.binarization: threshold (1 at or above 0.5)"
}
