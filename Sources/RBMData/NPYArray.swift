#if canImport(Glibc)
import Glibc
#endif

/// The header of a NumPy `.npy` file (format versions 1 to 3): element type, memory order
/// and shape, and where the data start.
public struct NPYHeader: Sendable, Equatable {
    public enum ElementType: String, Sendable, CaseIterable {
        case bool = "b1", uint8 = "u1", int8 = "i1", uint16 = "u2", int16 = "i2", uint32 = "u4", int32 = "i4"
        case uint64 = "u8", int64 = "i8", float32 = "f4", float64 = "f8"

        public var size: Int { Int(rawValue.dropFirst())! }
        public var isInteger: Bool { self != .float32 && self != .float64 }
    }

    public var elementType: ElementType
    public var bigEndian: Bool
    public var fortranOrder: Bool
    public var shape: [Int]
    /// Byte offset of the first element.
    public var dataOffset: Int

    public var elementCount: Int { shape.reduce(1, *) }

    /// Parses the first bytes of a file (at least the whole header). Every problem names `path`.
    public static func parse(_ bytes: [UInt8], path: String) throws(DataError) -> NPYHeader {
        func bad(_ detail: String) -> DataError { .badHeader(path: path, detail: detail) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw bad("not a NumPy .npy file (it should start with \\x93NUMPY)")
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard (1...3).contains(major), bytes.count >= 8 + lengthBytes else { throw bad("unknown .npy format version \(major)") }
        var length = 0
        for index in 0..<lengthBytes { length |= Int(bytes[8 + index]) << (8 * index) }
        let start = 8 + lengthBytes
        guard length > 0, length <= 1 << 20, bytes.count >= start + length else {
            throw .truncated(path: path, expectedBytes: start + length, foundBytes: bytes.count)
        }
        let text = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
        var header = try parseDictionary(text, path: path)
        header.dataOffset = start + length
        return header
    }

    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, as numpy writes it.
    static func parseDictionary(_ text: String, path: String) throws(DataError) -> NPYHeader {
        func bad(_ detail: String) -> DataError { .badHeader(path: path, detail: detail) }
        func value(of key: String) throws(DataError) -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") else { throw bad("the header has no '\(key)'") }
            var rest = text[keyRange.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw bad("'\(key)' is not followed by ':'") }
            rest = rest.dropFirst().drop { $0 == " " }
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { throw bad("'\(key)' has no closing ')'") }
                return rest[rest.index(after: rest.startIndex)..<close]
            }
            if rest.first == "'" {
                let body = rest.dropFirst()
                guard let close = body.firstIndex(of: "'") else { throw bad("'\(key)' has no closing quote") }
                return body[..<close]
            }
            return rest.prefix { $0.isLetter }
        }
        let descr = try value(of: "descr")
        guard let order = descr.first, "<>|=".contains(order),
              let elementType = ElementType(rawValue: String(descr.dropFirst())) else {
            throw bad("element type '\(descr)' is not supported (bool, (u)int8 to (u)int64, float32, float64)")
        }
        let fortran = try value(of: "fortran_order")
        guard fortran == "True" || fortran == "False" else { throw bad("fortran_order is '\(fortran)', not True or False") }
        var shape: [Int] = []
        for part in try value(of: "shape").split(separator: ",") {
            let digits = part.trimmingCharacters(in: " ")
            if digits.isEmpty { continue }
            guard let dimension = Int(digits), dimension >= 0 else { throw bad("shape entry '\(digits)' is not a size") }
            shape.append(dimension)
        }
        var total = 1
        for dimension in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: max(dimension, 1))
            guard !overflow, product <= 1 << 48 else { throw bad("shape \(shape) is too large") }
            total = product
        }
        return NPYHeader(elementType: elementType, bigEndian: order == ">" && elementType.size > 1,
                         fortranOrder: fortran == "True", shape: shape, dataOffset: 0)
    }
}

extension Substring {
    func trimmingCharacters(in characters: String) -> Substring {
        var text = self
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return text
    }
}

/// A NumPy `.npy` file, memory-mapped: rows are converted to float32 when read, never loaded
/// as a whole, so a file larger than memory can be streamed. C and Fortran order.
public final class NPYArray: @unchecked Sendable {
    public let path: String
    public let header: NPYHeader
    /// Rows, and values per row (1 for a vector).
    public let rowCount: Int
    public let rowSize: Int
    private let base: UnsafeRawPointer
    private let mappedBytes: Int

    /// Maps the file read-only after checking its header against its size: the array starts
    /// at `offset` and takes `length` bytes (the rest of the file by default). `name` is how
    /// messages call it (default: the path).
    public init(path file: String, length: Int? = nil, offset: Int = 0, name: String? = nil) throws(DataError) {
        let path = name ?? file
        self.path = path
        let descriptor = try openDataFile(file, name: path)
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .readFailed(path: path, reason: String(cString: strerror(errno))) }
        // Never more than the file holds: touching a mapped page past its end is SIGBUS.
        let available = max(0, Int(status.st_size) - offset)
        let size = min(length ?? available, available)
        var first = [UInt8](repeating: 0, count: min(size, 65_536 + 12))
        let read = first.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        guard read >= 0 else { throw .readFailed(path: path, reason: String(cString: strerror(errno))) }
        header = try NPYHeader.parse(Array(first.prefix(read)), path: path)
        guard (1...2).contains(header.shape.count) else {
            throw .badDimensions(path: path, detail: "expected rows × features (or a vector of labels), found shape \(header.shape)")
        }
        rowCount = header.shape[0]
        rowSize = header.shape.count == 2 ? header.shape[1] : 1
        let needed = header.dataOffset + header.elementCount * header.elementType.size
        guard size >= needed else { throw .truncated(path: path, expectedBytes: needed, foundBytes: size) }
        // mmap wants a page-aligned offset: map from the page holding `offset`.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let alignedOffset = offset / page * page
        let length = needed + (offset - alignedOffset)
        guard let mapping = mmap(nil, max(length, 1), PROT_READ, MAP_PRIVATE, descriptor, off_t(alignedOffset)),
              mapping != MAP_FAILED else {
            throw .readFailed(path: path, reason: "cannot map the file: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapping) + (offset - alignedOffset) + header.dataOffset
        self.mappedBytes = length
        mappingStart = UnsafeMutableRawPointer(mapping)
    }

    private let mappingStart: UnsafeMutableRawPointer

    deinit { munmap(mappingStart, mappedBytes) }

    /// Element `column` of row `row`, as a Double (exact for every supported type but 64-bit
    /// integers beyond 2⁵³).
    @inline(__always)
    func element(row: Int, column: Int) -> Double {
        let index = header.fortranOrder ? column * rowCount + row : row * rowSize + column
        let pointer = base + index * header.elementType.size
        switch header.elementType {
        case .bool, .uint8: return Double(pointer.load(as: UInt8.self))
        case .int8: return Double(pointer.load(as: Int8.self))
        case .uint16: return Double(fix(pointer.loadUnaligned(as: UInt16.self)))
        case .int16: return Double(Int16(bitPattern: fix(pointer.loadUnaligned(as: UInt16.self))))
        case .uint32: return Double(fix(pointer.loadUnaligned(as: UInt32.self)))
        case .int32: return Double(Int32(bitPattern: fix(pointer.loadUnaligned(as: UInt32.self))))
        case .uint64: return Double(fix(pointer.loadUnaligned(as: UInt64.self)))
        case .int64: return Double(Int64(bitPattern: fix(pointer.loadUnaligned(as: UInt64.self))))
        case .float32: return Double(Float(bitPattern: fix(pointer.loadUnaligned(as: UInt32.self))))
        case .float64: return Double(bitPattern: fix(pointer.loadUnaligned(as: UInt64.self)))
        }
    }

    @inline(__always)
    private func fix<T: FixedWidthInteger>(_ value: T) -> T { header.bigEndian ? value.byteSwapped : value }

    /// Row `row` as float32 values `Float(element) / scale`: float32 data with scale 1 exactly as
    /// stored, uint8 with scale 255 exactly as an IDX file's bytes / 255 (the same expression).
    @inline(__always)
    func copyRow(_ row: Int, scale: Float, into destination: UnsafeMutablePointer<Float>) {
        if header.elementType == .uint8 && !header.fortranOrder {
            let bytes = (base + row * rowSize).assumingMemoryBound(to: UInt8.self)
            for column in 0..<rowSize { destination[column] = Float(bytes[column]) / scale }
            return
        }
        if header.elementType == .float32 && !header.fortranOrder && !header.bigEndian {
            let source = base + row * rowSize * 4
            for column in 0..<rowSize { destination[column] = source.loadUnaligned(fromByteOffset: 4 * column, as: Float.self) / scale }
            return
        }
        for column in 0..<rowSize { destination[column] = Float(element(row: row, column: column)) / scale }
    }

    /// Gives back the pages holding rows `range` (C order only; a no-op otherwise).
    func release(_ range: Range<Int>) {
        guard !header.fortranOrder, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let rowBytes = rowSize * header.elementType.size
        let start = Int(bitPattern: base) + range.lowerBound * rowBytes
        let end = Int(bitPattern: base) + range.upperBound * rowBytes
        let alignedStart = (start + page - 1) / page * page
        let alignedEnd = end / page * page
        guard alignedEnd > alignedStart, let pointer = UnsafeMutableRawPointer(bitPattern: alignedStart) else { return }
        madvise(pointer, alignedEnd - alignedStart, MADV_DONTNEED)
    }
}

/// A 2-D `.npy` array (rows are samples) with optional 1-D integer labels, as a `RowSource`.
public struct NPYSource: RowSource {
    public let values: NPYArray
    public let labelArray: NPYArray?
    public let scale: Float
    public let imageShape: (rows: Int, columns: Int)?
    public let source: String

    public init(values: NPYArray, labels: NPYArray?, scale: Float, imageShape: (rows: Int, columns: Int)?,
                source: String) throws(DataError) {
        guard values.header.shape.count == 2 else {
            throw .badDimensions(path: values.path, detail: "expected a 2-D array (samples × features), found shape \(values.header.shape)")
        }
        guard values.rowCount > 0, values.rowSize > 0 else {
            throw .badDimensions(path: values.path, detail: "the array is empty (shape \(values.header.shape))")
        }
        if let labels {
            guard labels.header.shape.count == 1, labels.header.elementType.isInteger else {
                throw .badDimensions(path: labels.path, detail: "labels must be a 1-D integer array, found \(labels.header.elementType.rawValue) of shape \(labels.header.shape)")
            }
            guard labels.rowCount == values.rowCount else {
                throw .countMismatch(images: values.path, labels: labels.path, imageCount: values.rowCount, labelCount: labels.rowCount)
            }
        }
        self.values = values
        labelArray = labels
        self.scale = scale
        self.imageShape = imageShape.flatMap { $0.rows * $0.columns == values.rowSize ? $0 : nil }
        self.source = source
    }

    public var count: Int { values.rowCount }
    public var featureCount: Int { values.rowSize }
    public var hasLabels: Bool { labelArray != nil }

    public func copyRows<Indices: Collection<Int>>(_ indices: Indices, into destination: UnsafeMutablePointer<Float>) throws(DataError) {
        for (position, row) in indices.enumerated() {
            values.copyRow(row, scale: scale, into: destination + position * featureCount)
        }
    }

    public func labels(_ range: Range<Int>) throws(DataError) -> [Int32]? {
        guard let labelArray else { return nil }
        return range.map { Int32(truncatingIfNeeded: Int(labelArray.element(row: $0, column: 0))) }
    }

    public func release(_ range: Range<Int>) { values.release(range) }
}
