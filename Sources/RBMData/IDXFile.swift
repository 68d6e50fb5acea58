import CZlib
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// A problem reading a data file. Every message names the file.
public enum DataError: ExitStatusError, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case badMagic(path: String, found: [UInt8])
    case unsupportedElementType(path: String, code: UInt8)
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    case trailingBytes(path: String, expectedBytes: Int, foundBytes: Int)
    case badDimensions(path: String, detail: String)
    case countMismatch(images: String, labels: String, imageCount: Int, labelCount: Int)
    case missingFile(folder: String, names: [String])
    case notEnoughData(detail: String)
    /// A .npy / .npz / HDF5 header or structure that cannot be read.
    case badHeader(path: String, detail: String)
    /// A CSV cell that is not what it should be (1-based line and column).
    case badCell(path: String, line: Int, column: Int, detail: String)
    /// A named array or dataset the file does not have.
    case missingArray(path: String, name: String, available: [String])
    /// A value the visible units cannot take (0-based row and column, as in numpy).
    case badValue(path: String, row: Int, column: Int, value: Float, detail: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason)"
        case let .readFailed(path, reason):
            return "\(path): read failed: \(reason)"
        case let .badMagic(path, found):
            let hex = found.map { String($0, radix: 16, uppercase: false) }.joined(separator: " ")
            return "\(path): not an IDX file (the magic number should be 00 00 <type> <dims>, found \(hex))"
        case let .unsupportedElementType(path, code):
            return "\(path): IDX element type 0x\(String(code, radix: 16)) is not supported (only 0x08, unsigned bytes)"
        case let .truncated(path, expected, found):
            return "\(path): truncated: the header promises \(expected) bytes of data, the file has \(found)"
        case let .trailingBytes(path, expected, found):
            return "\(path): \(found - expected) bytes after the \(expected) bytes the header describes (wrong count in the header?)"
        case let .badDimensions(path, detail):
            return "\(path): bad dimensions: \(detail)"
        case let .countMismatch(images, labels, imageCount, labelCount):
            return "\(images) has \(imageCount) images but \(labels) has \(labelCount) labels"
        case let .missingFile(folder, names):
            return "\(folder): none of \(names.joined(separator: ", ")) found"
        case let .notEnoughData(detail):
            return detail
        case let .badHeader(path, detail):
            return "\(path): \(detail)"
        case let .badCell(path, line, column, detail):
            return "\(path):\(line): column \(column): \(detail)"
        case let .missingArray(path, name, available):
            return "\(path): no array or dataset named '\(name)'"
                + (available.isEmpty ? "" : " (it has \(available.prefix(20).joined(separator: ", ")))")
        case let .badValue(path, row, column, value, detail):
            return "\(path): row \(row), column \(column): \(value) \(detail)"
        }
    }
}

/// The checks every IDX header gets, from the in-memory parser and the streaming reader alike.
enum IDXHeader {
    /// The number of dimensions from the magic number `00 00 08 <d>`, d in 1...4.
    static func rank(fromMagic magic: ArraySlice<UInt8>, path: String) throws(DataError) -> Int {
        let bytes = Array(magic)
        guard bytes.count == 4, bytes[0] == 0, bytes[1] == 0, (1...4).contains(bytes[3]) else {
            throw .badMagic(path: path, found: bytes)
        }
        guard bytes[2] == 0x08 else { throw .unsupportedElementType(path: path, code: bytes[2]) }
        return Int(bytes[3])
    }

    /// Big-endian dimension sizes, each > 0, whose product (the element count) stays below
    /// 2⁴⁰ bytes: a corrupt header cannot make anyone allocate or overflow.
    static func dimensions(_ bytes: ArraySlice<UInt8>, path: String) throws(DataError) -> (dimensions: [Int], elementCount: Int) {
        let header = Array(bytes)
        var dimensions: [Int] = []
        var elementCount = 1
        for d in 0..<(header.count / 4) {
            let o = 4 * d
            let size = Int(header[o]) << 24 | Int(header[o + 1]) << 16 | Int(header[o + 2]) << 8 | Int(header[o + 3])
            guard size > 0 else { throw .badDimensions(path: path, detail: "dimension \(d) is 0") }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 40 else {
                throw .badDimensions(path: path, detail: "\(dimensions + [size]) is implausibly large")
            }
            elementCount = product
            dimensions.append(size)
        }
        return (dimensions, elementCount)
    }
}

/// An IDX array (LeCun's MNIST format): a 4-byte magic number `00 00 08 <d>`, d big-endian
/// 32-bit dimension sizes, then the elements as unsigned bytes in C order. MNIST,
/// Fashion-MNIST and KMNIST all use it, usually gzip-compressed.
public struct IDXArray: Sendable, Equatable {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    public init(dimensions: [Int], bytes: [UInt8]) {
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Reads a `.gz` or plain IDX file (zlib reads both).
    public static func read(path: String) throws -> IDXArray {
        try parse(try readAllBytes(path: path), path: path)
    }

    /// Parses the bytes of an IDX file, checking the magic number, the dimensions and that
    /// the body has exactly as many bytes as the dimensions say.
    public static func parse(_ data: [UInt8], path: String) throws -> IDXArray {
        guard data.count >= 4 else {
            throw DataError.truncated(path: path, expectedBytes: 4, foundBytes: data.count)
        }
        let rank = try IDXHeader.rank(fromMagic: data[0..<4], path: path)
        let headerBytes = 4 + 4 * rank
        guard data.count >= headerBytes else {
            throw DataError.truncated(path: path, expectedBytes: headerBytes, foundBytes: data.count)
        }
        let (dimensions, elementCount) = try IDXHeader.dimensions(data[4..<headerBytes], path: path)
        let body = data.count - headerBytes
        if body < elementCount {
            throw DataError.truncated(path: path, expectedBytes: elementCount, foundBytes: body)
        }
        if body > elementCount {
            throw DataError.trailingBytes(path: path, expectedBytes: elementCount, foundBytes: body)
        }
        return IDXArray(dimensions: dimensions, bytes: Array(data[headerBytes...]))
    }

    /// The whole (decompressed) content of a file.
    static func readAllBytes(path: String) throws -> [UInt8] {
        let descriptor = try openDataFile(path)
        guard let file = gzdopen(descriptor, "rb") else {
            close(descriptor)
            throw DataError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        var result: [UInt8] = []
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let read = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(chunk)) }
            if read < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
                throw DataError.readFailed(path: path, reason: message)
            }
            if read == 0 { break }
            result.append(contentsOf: buffer[0..<Int(read)])
        }
        return result
    }
}
