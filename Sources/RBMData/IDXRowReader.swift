import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Reads an IDX file of unsigned bytes row by row (a row is one sample: everything after the
/// first dimension), so that data sets larger than memory can be streamed. Reads `.gz` and
/// plain files alike.
public final class IDXRowReader {
    public let path: String
    public let dimensions: [Int]
    /// Samples in the file (the first dimension).
    public var count: Int { dimensions[0] }
    /// Bytes per sample.
    public let rowSize: Int
    private let file: gzFile
    private var rowsRead = 0

    public init(path: String) throws(DataError) {
        let descriptor = try openDataFile(path)
        guard let file = gzdopen(descriptor, "rb") else {
            close(descriptor)
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        self.file = file
        self.path = path
        gzbuffer(file, 1 << 18)
        var magic = [UInt8](repeating: 0, count: 4)
        let magicRead = try Self.read(file, path: path, into: &magic, count: 4)
        guard magicRead == 4 else {
            gzclose(file)
            throw .truncated(path: path, expectedBytes: 4, foundBytes: magicRead)
        }
        let rank: Int
        do {
            rank = try IDXHeader.rank(fromMagic: magic[0..<4], path: path)
        } catch {
            gzclose(file)
            throw error
        }
        var header = [UInt8](repeating: 0, count: 4 * rank)
        let headerRead = try Self.read(file, path: path, into: &header, count: 4 * rank)
        guard headerRead == 4 * rank else {
            gzclose(file)
            throw .truncated(path: path, expectedBytes: 4 + 4 * rank, foundBytes: 4 + headerRead)
        }
        do {
            let decoded = try IDXHeader.dimensions(header[...], path: path)
            dimensions = decoded.dimensions
            rowSize = decoded.elementCount / decoded.dimensions[0]
        } catch {
            gzclose(file)
            throw error
        }
    }

    deinit { gzclose(file) }

    /// Reads the next `rows` samples into `buffer` (rows × rowSize bytes).
    public func readRows(_ rows: Int, into buffer: inout [UInt8]) throws(DataError) {
        precondition(rowsRead + rows <= count, "reading past the last sample")
        let bytes = rows * rowSize
        if buffer.count < bytes { buffer = [UInt8](repeating: 0, count: bytes) }
        let read = try Self.read(file, path: path, into: &buffer, count: bytes)
        guard read == bytes else {
            throw .truncated(path: path, expectedBytes: count * rowSize, foundBytes: rowsRead * rowSize + read)
        }
        rowsRead += rows
    }

    /// Skips the next `rows` samples.
    public func skipRows(_ rows: Int) throws(DataError) {
        var scratch = [UInt8](repeating: 0, count: min(rows, 1024) * rowSize)
        var remaining = rows
        while remaining > 0 {
            let step = min(remaining, 1024)
            try readRows(step, into: &scratch)
            remaining -= step
        }
    }

    /// After the last row: checks that nothing follows the data the header describes.
    public func checkEnd() throws(DataError) {
        guard rowsRead == count else { return }
        var extra = [UInt8](repeating: 0, count: 1)
        let read = try Self.read(file, path: path, into: &extra, count: 1)
        if read > 0 {
            throw .trailingBytes(path: path, expectedBytes: count * rowSize, foundBytes: count * rowSize + read)
        }
    }

    private static func read(_ file: gzFile, path: String, into buffer: inout [UInt8], count: Int) throws(DataError) -> Int {
        var total = 0
        while total < count {
            let chunk = min(count - total, 1 << 30)
            let read = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + total, UInt32(chunk)) }
            if read < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
                throw .readFailed(path: path, reason: message)
            }
            if read == 0 { break }
            total += Int(read)
        }
        return total
    }
}

/// One split of an IDX folder read as a stream: rows `range` of the images file with their
/// labels, scaled to [0, 1] (and thresholded when asked).
public final class IDXSplitStream {
    public let name: String
    public let range: Range<Int>
    public let featureCount: Int
    public let imagePath: String
    private let images: IDXRowReader
    private let labels: IDXRowReader?
    private let threshold: Bool
    private var position = 0
    private var imageBuffer: [UInt8] = []
    private var labelBuffer: [UInt8] = []

    public var count: Int { range.count }
    public var hasLabels: Bool { labels != nil }

    /// Opens `<prefix>-images-idx3-ubyte[.gz]` (and its labels, when present) in `folder`.
    public init(name: String, folder: String, prefix: String, rows: Range<Int>?, threshold: Bool) throws(DataError) {
        self.name = name
        imagePath = try IDXFolder.locate(folder: folder, name: "\(prefix)-images-idx3-ubyte")
        images = try IDXRowReader(path: imagePath)
        if let labelPath = try? IDXFolder.locate(folder: folder, name: "\(prefix)-labels-idx1-ubyte") {
            let reader = try IDXRowReader(path: labelPath)
            guard reader.dimensions.count == 1 else {
                throw .badDimensions(path: labelPath, detail: "labels must be one-dimensional, found \(reader.dimensions)")
            }
            guard reader.count == images.count else {
                throw .countMismatch(images: imagePath, labels: labelPath, imageCount: images.count, labelCount: reader.count)
            }
            labels = reader
        } else {
            labels = nil
        }
        let range = rows ?? 0..<images.count
        guard range.lowerBound >= 0, range.upperBound <= images.count else {
            throw .notEnoughData(detail: "\(imagePath): rows \(range) asked of a file with \(images.count) samples")
        }
        self.range = range
        featureCount = images.rowSize
        self.threshold = threshold
        try images.skipRows(range.lowerBound)
        try labels?.skipRows(range.lowerBound)
    }

    /// The next up to `maximum` samples, or nil at the end of the split.
    public func next(maximum: Int) throws(DataError) -> (values: [Float], labels: [Int32]?)? {
        let rows = min(maximum, count - position)
        guard rows > 0 else { return nil }
        try images.readRows(rows, into: &imageBuffer)
        var values = [Float](repeating: 0, count: rows * featureCount)
        for index in 0..<(rows * featureCount) {
            let intensity = Float(imageBuffer[index]) / 255
            values[index] = threshold ? (intensity >= 0.5 ? 1 : 0) : intensity
        }
        var labelValues: [Int32]?
        if let labels {
            try labels.readRows(rows, into: &labelBuffer)
            labelValues = labelBuffer.prefix(rows).map { Int32($0) }
        }
        position += rows
        if range.upperBound == images.count && position == count {
            try images.checkEnd()
            try labels?.checkEnd()
        }
        return (values, labelValues)
    }
}
