import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// A NumPy `.npz` archive (a zip file of `.npy` arrays, from `numpy.savez` or
/// `numpy.savez_compressed`). A stored array is memory-mapped in place; a compressed one is
/// inflated once into an unlinked temporary file and mapped from there. Zip64 archives (numpy
/// writes them for large arrays) are read too.
public struct NPZArchive {
    public struct Entry: Sendable {
        public var name: String
        var method: UInt16
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    public let path: String
    /// The arrays, by name without `.npy`.
    public let entries: [String: Entry]

    public init(path: String) throws(DataError) {
        self.path = path
        let descriptor = try openDataFile(path)
        defer { close(descriptor) }
        var status = stat()
        fstat(descriptor, &status)
        let fileSize = Int(status.st_size)
        let tail = try Self.read(descriptor, at: max(0, fileSize - 65_557), count: min(fileSize, 65_557), path: path)
        guard let eocd = Self.lastIndex(of: 0x0605_4b50, in: tail), eocd + 22 <= tail.count else {
            throw .badHeader(path: path, detail: "not a zip archive (no end of central directory): numpy.savez writes .npz files")
        }
        var count = Int(Self.le16(tail, eocd + 10))
        var directorySize = Int(Self.le32(tail, eocd + 12))
        var directoryOffset = Int(Self.le32(tail, eocd + 16))
        if let locator = Self.lastIndex(of: 0x0706_4b50, in: tail), locator + 20 <= tail.count {
            let zip64Offset = Int(Self.le64(tail, locator + 8))
            let record = try Self.read(descriptor, at: zip64Offset, count: 56, path: path)
            guard record.count == 56, Self.le32(record, 0) == 0x0606_4b50 else {
                throw .badHeader(path: path, detail: "damaged zip64 end of central directory")
            }
            count = Int(Self.le64(record, 32))
            directorySize = Int(Self.le64(record, 40))
            directoryOffset = Int(Self.le64(record, 48))
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= fileSize, count < 1 << 20 else {
            throw .badHeader(path: path, detail: "the zip central directory lies outside the file")
        }
        let directory = try Self.read(descriptor, at: directoryOffset, count: directorySize, path: path)
        var entries: [String: Entry] = [:]
        var position = 0
        for _ in 0..<count {
            guard position + 46 <= directory.count, Self.le32(directory, position) == 0x0201_4b50 else {
                throw .badHeader(path: path, detail: "damaged zip central directory")
            }
            let nameLength = Int(Self.le16(directory, position + 28))
            let extraLength = Int(Self.le16(directory, position + 30))
            let commentLength = Int(Self.le16(directory, position + 32))
            guard position + 46 + nameLength + extraLength <= directory.count else {
                throw .badHeader(path: path, detail: "damaged zip central directory")
            }
            var entry = Entry(name: String(decoding: directory[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self),
                              method: Self.le16(directory, position + 10),
                              compressedSize: Int(Self.le32(directory, position + 20)), size: Int(Self.le32(directory, position + 24)),
                              localHeaderOffset: Int(Self.le32(directory, position + 42)))
            try Self.applyZip64(Array(directory[(position + 46 + nameLength)..<(position + 46 + nameLength + extraLength)]),
                                to: &entry, path: path)
            if entry.name.hasSuffix(".npy") { entries[String(entry.name.dropLast(4))] = entry }
            position += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The array `name`, mapped (stored) or inflated to a temporary file and mapped.
    public func array(_ name: String) throws(DataError) -> NPYArray {
        guard let entry = entries[name] else {
            throw .missingArray(path: path, name: name, available: entries.keys.sorted())
        }
        let descriptor = try openDataFile(path)
        defer { close(descriptor) }
        let local = try Self.read(descriptor, at: entry.localHeaderOffset, count: 30, path: path)
        guard local.count == 30, Self.le32(local, 0) == 0x0403_4b50 else {
            throw .badHeader(path: path, detail: "damaged local header of \(entry.name)")
        }
        let dataOffset = entry.localHeaderOffset + 30 + Int(Self.le16(local, 26)) + Int(Self.le16(local, 28))
        let label = "\(path):\(entry.name)"
        // Deflate expands at most about 1032:1: a larger claim is a damaged (or hostile) archive.
        guard entry.method == 0 || entry.size <= entry.compressedSize * 1100 + (1 << 20) else {
            throw .badHeader(path: path, detail: "\(entry.name) claims \(entry.size) bytes from \(entry.compressedSize) compressed")
        }
        switch entry.method {
        case 0:
            return try NPYArray(path: path, length: entry.size, offset: dataOffset, name: label)
        case 8:
            let temporary = try inflate(descriptor, from: dataOffset, entry: entry)
            defer { unlink(temporary) }  // the mapping keeps the data; the name goes at once
            return try NPYArray(path: temporary, name: label)
        default:
            throw .badHeader(path: path, detail: "\(entry.name) uses zip method \(entry.method); only stored and deflated arrays are read")
        }
    }

    /// Inflates a deflated entry into a new temporary file; returns its path.
    func inflate(_ descriptor: Int32, from offset: Int, entry: Entry) throws(DataError) -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/rbm-npz-XXXXXX").utf8CString)
        let output = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard output >= 0 else { throw .readFailed(path: path, reason: "cannot create a temporary file in \(base): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            unlink(temporary)
            throw .readFailed(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var input = [UInt8](repeating: 0, count: 1 << 20)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var consumed = 0, written = 0, status = Z_OK, failed = false
        input.withUnsafeMutableBufferPointer { inputBuffer in
            buffer.withUnsafeMutableBufferPointer { outputBuffer in
                while status != Z_STREAM_END && !failed {
                    if stream.avail_in == 0 {
                        let wanted = min(inputBuffer.count, entry.compressedSize - consumed)
                        guard wanted > 0 else { break }
                        let count = pread(descriptor, inputBuffer.baseAddress, wanted, off_t(offset + consumed))
                        guard count > 0 else { break }
                        consumed += count
                        stream.next_in = inputBuffer.baseAddress
                        stream.avail_in = UInt32(count)
                    }
                    stream.next_out = outputBuffer.baseAddress
                    stream.avail_out = UInt32(outputBuffer.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    let produced = outputBuffer.count - Int(stream.avail_out)
                    guard status == Z_OK || status == Z_STREAM_END, written + produced <= entry.size,
                          Glibc.write(output, outputBuffer.baseAddress, produced) == produced else {
                        failed = true
                        break
                    }
                    written += produced
                }
            }
        }
        if failed {
            unlink(temporary)
            throw .readFailed(path: path, reason: "\(entry.name) does not inflate (a damaged archive, or no room in \(base))")
        }
        guard status == Z_STREAM_END, written == entry.size else {
            unlink(temporary)
            throw .truncated(path: "\(path):\(entry.name)", expectedBytes: entry.size, foundBytes: written)
        }
        return temporary
    }

    // MARK: Little-endian fields

    static func read(_ descriptor: Int32, at offset: Int, count: Int, path: String) throws(DataError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        guard read >= 0 else { throw .readFailed(path: path, reason: String(cString: strerror(errno))) }
        return Array(bytes.prefix(read))
    }

    static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16 }
    static func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 { UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32 }

    static func lastIndex(of signature: UInt32, in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in stride(from: bytes.count - 4, through: 0, by: -1) where le32(bytes, index) == signature { return index }
        return nil
    }

    /// Zip64's extra field (id 1) holds the 64-bit size, compressed size and offset, in that
    /// order, for each 32-bit field that reads 0xFFFFFFFF. A value of 2⁴⁸ bytes or more is no
    /// real archive's (and would overflow the size checks made with it): a damaged archive.
    static func applyZip64(_ extra: [UInt8], to entry: inout Entry, path: String) throws(DataError) {
        func value(at field: Int) throws(DataError) -> Int {
            let raw = le64(extra, field)
            guard raw < 1 << 48 else {
                throw .badHeader(path: path, detail: "damaged zip64 field of \(entry.name): \(raw) bytes")
            }
            return Int(raw)
        }
        var position = 0
        while position + 4 <= extra.count {
            let id = le16(extra, position), length = Int(le16(extra, position + 2))
            if id == 1 {
                var field = position + 4
                if entry.size == 0xFFFF_FFFF, field + 8 <= extra.count { entry.size = try value(at: field); field += 8 }
                if entry.compressedSize == 0xFFFF_FFFF, field + 8 <= extra.count { entry.compressedSize = try value(at: field); field += 8 }
                if entry.localHeaderOffset == 0xFFFF_FFFF, field + 8 <= extra.count { entry.localHeaderOffset = try value(at: field) }
            }
            position += 4 + length
        }
    }
}
