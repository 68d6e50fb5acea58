/// Integer codes 0 … q−1 (one per visible variable) as one-hot groups of q units: what
/// categorical visible units read. A code that is not an integer in range is an error naming
/// the source, row and column.
///
/// With `quantize`, the values are intensities in [0, 1] (an IDX folder's pixels / 255) and
/// the code of x is min(q − 1, ⌊x·q⌋): q grey levels of equal width.
public struct OneHotRows: DerivedRowSource {
    public let base: any RowSource
    public let states: Int
    public let quantize: Bool

    public init(base: any RowSource, states: Int, quantize: Bool = false) {
        self.base = base
        self.states = states
        self.quantize = quantize
    }

    public var featureCount: Int { base.featureCount * states }

    public func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        let variables = base.featureCount
        var codes = [Float](repeating: 0, count: variables)
        for (position, row) in indices.enumerated() {
            try codes.withUnsafeMutableBufferPointer { (buffer) throws(DataError) in try base.copyRows(CollectionOfOne(row), into: buffer.baseAddress!) }
            let target = destination + position * variables * states
            target.initialize(repeating: 0, count: variables * states)
            for variable in 0..<variables {
                let code = quantize && codes[variable] >= 0 && codes[variable] <= 1
                    ? min(Float(states - 1), (codes[variable] * Float(states)).rounded(.down)) : codes[variable]
                guard code.isFinite, code == code.rounded(), code >= 0, code < Float(states) else {
                    throw .badValue(path: file, row: firstRowInFile + row, column: variable, value: code,
                                    detail: "is not a category code: data.categories is \(states), so codes are the integers 0 to \(states - 1)")
                }
                target[variable * states + Int(code)] = 1
            }
        }
    }

}

/// Values that must be integers in a range (binomial units' counts 0 … n), checked row by row:
/// a value that is not is an error naming the source, row and column, and `reason` (the
/// config key that sets the range).
///
/// With `quantize`, the values are intensities in [0, 1] (an IDX folder's pixels / 255) and
/// x is read as round(x · upper bound): with n = 255, a pixel's own grey level.
public struct IntegerRows: DerivedRowSource {
    public let base: any RowSource
    public let range: ClosedRange<Int>
    public let reason: String
    public let quantize: Bool

    public init(base: any RowSource, range: ClosedRange<Int>, reason: String, quantize: Bool = false) {
        self.base = base
        self.range = range
        self.reason = reason
        self.quantize = quantize
    }

    public func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        try base.copyRows(indices, into: destination)
        let d = featureCount
        let lowest = Float(range.lowerBound), highest = Float(range.upperBound)
        for (position, row) in indices.enumerated() {
            let values = destination + position * d
            for column in 0..<d {
                if quantize && values[column] >= 0 && values[column] <= 1 {
                    values[column] = (values[column] * highest).rounded()
                }
                let value = values[column]
                guard value.isFinite, value == value.rounded(), value >= lowest, value <= highest else {
                    throw .badValue(path: file, row: firstRowInFile + row, column: column, value: value,
                                    detail: "is not a count: \(reason), so values are the integers \(range.lowerBound) to \(range.upperBound)")
                }
            }
        }
    }
}

/// v = (x − mean) / std per feature: the standardised data Gaussian visible units expect.
public struct StandardizedRows: DerivedRowSource {
    public let base: any RowSource
    public let mean: [Float]
    public let standardDeviation: [Float]

    public init(base: any RowSource, mean: [Float], standardDeviation: [Float]) {
        self.base = base
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    public func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        try base.copyRows(indices, into: destination)
        let d = featureCount
        for position in 0..<indices.count {
            let row = destination + position * d
            for i in 0..<d { row[i] = (row[i] - mean[i]) / standardDeviation[i] }
        }
    }

}

extension DataScan {
    /// Per-feature mean and standard deviation (population, double precision, rows in order);
    /// a constant feature gets 1, so that it standardises to 0 rather than dividing by 0. Every
    /// value must be finite.
    public static func meanAndStandardDeviation(of source: any RowSource) throws(DataError) -> (mean: [Float], standardDeviation: [Float]) {
        let d = source.featureCount
        var sums = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
        try forEachBlock(source, unitInterval: false) { values, rows, _ in
            for row in 0..<rows {
                for i in 0..<d {
                    let x = Double(values[row * d + i])
                    sums[i] += x
                    squares[i] += x * x
                }
            }
        }
        let n = Double(max(source.count, 1))
        let means = sums.map { $0 / n }
        let deviations = (0..<d).map { i -> Float in
            let variance = max(0, squares[i] / n - means[i] * means[i])
            return variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
        return (means.map { Float($0) }, deviations)
    }
}
