import CZlib
import Foundation

/// Writes IDX test files (plain or gzip) into a fresh temporary folder.
struct IDXTestFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "rbm-idx-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The bytes of an IDX file of unsigned bytes with these dimensions.
    static func idxBytes(dimensions: [Int], body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for size in dimensions {
            bytes += [UInt8(size >> 24 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
        }
        return bytes + body
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8], gzip: Bool) -> String {
        let file = path + "/" + name + (gzip ? ".gz" : "")
        if gzip {
            let handle = gzopen(file, "wb")!
            _ = bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32(bytes.count)) }
            gzclose(handle)
        } else {
            FileManager.default.createFile(atPath: file, contents: Data(bytes))
        }
        return file
    }

    /// An MNIST-layout folder: `count` images of rows × columns with labels.
    func writeImageSet(prefix: String, count: Int, rows: Int, columns: Int, gzip: Bool,
                       labelCount: Int? = nil) {
        let pixels = (0..<(count * rows * columns)).map(Self.pixel)
        write("\(prefix)-images-idx3-ubyte", Self.idxBytes(dimensions: [count, rows, columns], body: pixels), gzip: gzip)
        let labels = (0..<(labelCount ?? count)).map { UInt8($0 % 10) }
        write("\(prefix)-labels-idx1-ubyte", Self.idxBytes(dimensions: [labels.count], body: labels), gzip: gzip)
    }

    /// The test pattern's byte at a flat index.
    static func pixel(_ index: Int) -> UInt8 {
        let value: Int = (index * 37 + index / 7) % 256
        return UInt8(value)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
