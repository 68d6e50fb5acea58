import Foundation
import RBMData
import Testing

/// The .npy, .npz and CSV readers against files numpy wrote (Fuzz/corpus/data, made by
/// numpy 2 with the values written out below): the numbers must be numpy's.
@Suite struct DataReaderTests {
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/Fuzz/corpus/data/"

    func rows(_ source: any RowSource) throws -> [[Float]] {
        let data = try source.firstRows(.max)
        return (0..<data.count).map { Array(data.values[($0 * data.featureCount)..<(($0 + 1) * data.featureCount)]) }
    }

    @Test func float32InCOrderReadsAsWritten() throws {
        let array = try NPYArray(path: corpus + "float32.npy")
        #expect(array.header.elementType == .float32 && !array.header.fortranOrder && array.header.shape == [2, 3])
        let source = try NPYSource(values: array, labels: nil, scale: 1, imageShape: nil, source: "x")
        #expect(try rows(source) == [[0, 0.5, 1], [0.25, 0.75, 0.125]])
    }

    /// np.asfortranarray([[0, 255], [128, 64], [1, 2]], uint8): column-major bytes, rows as numpy indexes them.
    @Test func fortranOrderBytesReadRowByRowWithTheirScale() throws {
        let array = try NPYArray(path: corpus + "fortran-u1.npy")
        #expect(array.header.fortranOrder && array.header.shape == [3, 2])
        let source = try NPYSource(values: array, labels: nil, scale: 255, imageShape: nil, source: "x")
        #expect(try rows(source) == [[0, 1], [Float(128) / 255, Float(64) / 255], [Float(1) / 255, Float(2) / 255]])
    }

    /// np.array([1, 2, 3], dtype='>i8'): big-endian labels.
    @Test func bigEndianIntegerLabels() throws {
        let values = try NPYArray(path: corpus + "fortran-u1.npy")
        let labels = try NPYArray(path: corpus + "labels-i8.npy")
        #expect(labels.header.bigEndian && labels.header.elementType == .int64)
        let source = try NPYSource(values: values, labels: labels, scale: 255, imageShape: nil, source: "x")
        #expect(try source.labels(0..<3) == [1, 2, 3])
    }

    /// np.savez (stored) and np.savez_compressed (deflated) archives.
    @Test func npzArraysStoredAndCompressed() throws {
        let stored = try NPZArchive(path: corpus + "stored.npz")
        #expect(Set(stored.entries.keys) == ["train", "train_labels"])
        let eye = try NPYSource(values: stored.array("train"), labels: stored.array("train_labels"), scale: 1,
                                imageShape: nil, source: "x")
        #expect(try rows(eye) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]] && (try eye.labels(0..<3)) == [0, 1, 2])
        let compressed = try NPZArchive(path: corpus + "compressed.npz")
        let float64 = try NPYSource(values: compressed.array("train"), labels: nil, scale: 1, imageShape: nil, source: "x")
        #expect(try compressed.array("train").header.elementType == .float64)
        #expect(try rows(float64) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        #expect(throws: DataError.missingArray(path: corpus + "compressed.npz", name: "test", available: ["train"])) {
            try compressed.array("test")
        }
    }

    @Test func csvWithAHeaderAndALabelColumn() throws {
        let data = try CSVTable.read(path: corpus + "header.csv", labelColumn: "label")
        #expect(data.count == 2 && data.featureCount == 2 && data.values == [0.5, 0.25, 1, 0] && data.labels == [1, 2])
        let plain = try CSVTable.read(path: corpus + "plain.csv")
        #expect(plain.count == 2 && plain.labels == nil && plain.values == [0.5, 0.25, 1, 0])
    }

    @Test func csvProblemsNameTheLineAndColumn() {
        var parser = CSVTable.Parser(path: "p.csv", header: .auto, labelColumn: "", scale: 1)
        let lines = ["a,b", "1,2", "1,2,3"]
        #expect(throws: DataError.badCell(path: "p.csv", line: 3, column: 3, detail: "expected 2 cells, found 3")) {
            for line in lines {
                try Array(line.utf8).withUnsafeBufferPointer { (buffer) throws(DataError) in try parser.consume(buffer) }
            }
        }
    }

    @Test func headerProblemsAreErrorsNamingTheFile() {
        #expect(throws: DataError.self) { try NPYHeader.parse(Array("not numpy at all".utf8), path: "x") }
        let header: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 40, 0] + Array("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }".utf8)
        #expect {
            try NPYHeader.parse(header, path: "x.npy")
        } throws: { error in "\(error)".hasPrefix("x.npy: element type '<c8' is not supported") }
    }

    /// The block order visits every row exactly once, and is a pure function of (seed, epoch).
    /// The scan's means and variances equal the two-pass formulas over a split larger than one
    /// block (so sums carry across blocks), and under `threshold` they are the 0/1 values'.
    @Test func momentsAreTheSplitsMeansAndVariances() throws {
        let rows = DataScan.blockRows + 37, columns = 3
        let values = (0..<(rows * columns)).map { index -> Float in
            let row = index / columns, column = index % columns
            return Float((row * 7 + column * 3) % 11) / 10 + Float(column) * 0.05
        }
        let dataset = Dataset(values: values, count: rows, featureCount: columns, source: "moments test")
        let moments = try DataScan.moments(of: dataset, binarization: .none, unitInterval: false)
        for column in 0..<columns {
            let columnValues = stride(from: column, to: values.count, by: columns).map { Double(values[$0]) }
            let mean = columnValues.reduce(0, +) / Double(rows)
            let variance = columnValues.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)
            #expect(abs(Double(moments.means[column]) - mean) < 1e-6 && abs(Double(moments.variances[column]) - variance) < 1e-6,
                    "column \(column): \(moments.means[column]), \(moments.variances[column]) vs \(mean), \(variance)")
        }
        let marginals = try DataScan.marginals(of: dataset, binarization: .none, unitInterval: false)
        #expect(marginals == moments.means)
        let thresholded = try DataScan.moments(of: dataset, binarization: .threshold)
        for column in 0..<columns {
            let p = Double(stride(from: column, to: values.count, by: columns).filter { values[$0] >= 0.5 }.count) / Double(rows)
            #expect(abs(Double(thresholded.variances[column]) - p * (1 - p)) < 1e-6)
        }
    }

    @Test func blockOrderIsAPermutationFixedBySeedAndEpoch() {
        let order = BlockOrder(count: 1003, blockRows: 100, seed: 7, epoch: 2)
        let visited = order.blocks.flatMap { order.rows(ofBlock: $0) }
        #expect(visited.sorted() == Array(0..<1003))
        #expect(visited != Array(0..<1003))
        let again = BlockOrder(count: 1003, blockRows: 100, seed: 7, epoch: 2)
        #expect(again.blocks.flatMap { again.rows(ofBlock: $0) } == visited)
        let other = BlockOrder(count: 1003, blockRows: 100, seed: 7, epoch: 3)
        #expect(other.blocks.flatMap { other.rows(ofBlock: $0) } != visited)
    }
}
