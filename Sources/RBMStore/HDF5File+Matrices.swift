import CHDF5
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// What a data file from outside holds, as far as training on it needs: its numeric datasets
/// and the attributes of this project's own feature files.
public struct HDF5Layout: Codable, Sendable, Equatable {
    public struct Dataset: Codable, Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var type: String
    }

    public var datasets: [Dataset]
    /// `format`, `checkpoint`, `checkpoint_sha256` and `image_rows`/`image_columns` when present.
    public var format: String?
    public var checkpoint: String?
    public var checkpointSHA256: String?
    public var imageShape: [Int]?
}

extension HDF5File {
    /// The file's datasets (at most `limit`, groups at most 16 deep) and its provenance.
    public func layout(limit: Int = 1000) -> HDF5Layout {
        var datasets: [HDF5Layout.Dataset] = []
        func walk(_ group: String, depth: Int) {
            guard depth < 16 else { return }
            for child in children(of: group) where datasets.count < limit {
                let name = (group == "/" ? "" : group) + "/" + child
                switch kind(of: name) {
                case .dataset: datasets.append(.init(name: name, shape: shape(of: name) ?? [], type: typeName(of: name)))
                case .group: walk(name, depth: depth + 1)
                case .other: break
                }
            }
        }
        walk("/", depth: 0)
        let text = { (name: String) in self.hasAttribute(name) ? try? self.stringAttribute(name) : nil }
        var imageShape: [Int]?
        if hasAttribute("image_rows"), hasAttribute("image_columns"),
           let rows = try? int64Attribute("image_rows"), let columns = try? int64Attribute("image_columns") {
            imageShape = [Int(rows), Int(columns)]
        }
        return HDF5Layout(datasets: datasets, format: text("format"), checkpoint: text("checkpoint"),
                          checkpointSHA256: text("checkpoint_sha256"), imageShape: imageShape)
    }

    /// Copies a numeric 1-D or 2-D dataset to a NumPy `.npy` file with the same element type
    /// (booleans and enums as uint8, half floats as float32), a block of rows at a time, so
    /// memory stays bounded whatever the dataset's size.
    public func exportNPY(_ name: String, to output: String) throws(StoreError) {
        guard exists(name), kind(of: name) == .dataset, let shape = shape(of: name) else {
            throw .missing(path: path, object: "dataset \(name)")
        }
        guard (1...2).contains(shape.count) else {
            throw .wrongShape(path: path, object: name, expected: [-1, -1], found: shape)
        }
        let dataset = H5Dopen2(id, name, rbm_h5p_default())
        guard dataset >= 0 else { throw .readFailed(path: path, detail: name) }
        defer { H5Dclose(dataset) }
        let (memoryType, descr) = try Self.memoryType(of: dataset, name: name, path: path)
        defer { H5Tclose(memoryType) }
        let elementSize = Int(H5Tget_size(memoryType))
        let rows = shape[0], columns = shape.count == 2 ? shape[1] : 1
        var fileStatus = stat()
        let fileBytes = stat(path, &fileStatus) == 0 ? Int(fileStatus.st_size) : 0
        let (total, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, total <= max(fileBytes * 1000, 1 << 24) else {
            throw .readFailed(path: path, detail: "\(name) claims \(rows) × \(columns) values, more than the file can hold")
        }
        guard let file = fopen(output, "wb") else {
            throw .cannotCreate(path: output, detail: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        let header = Self.npyHeader(descr: descr, shape: shape)
        guard fwrite(header, 1, header.count, file) == header.count else {
            throw .writeFailed(path: output, detail: String(cString: strerror(errno)))
        }
        let fileSpace = H5Dget_space(dataset)
        defer { H5Sclose(fileSpace) }
        let blockRows = max(1, (8 << 20) / max(1, columns * elementSize))
        var buffer = [UInt8](repeating: 0, count: min(blockRows, max(rows, 1)) * columns * elementSize)
        var start = 0
        while start < rows {
            let count = min(blockRows, rows - start)
            var offset = shape.count == 2 ? [hsize_t(start), 0] : [hsize_t(start)]
            var size = shape.count == 2 ? [hsize_t(count), hsize_t(columns)] : [hsize_t(count)]
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &size, nil)
            let memorySpace = H5Screate_simple(Int32(shape.count), &size, nil)
            let status = buffer.withUnsafeMutableBytes {
                H5Dread(dataset, memoryType, memorySpace, fileSpace, rbm_h5p_default(), $0.baseAddress)
            }
            H5Sclose(memorySpace)
            guard status >= 0 else { throw .readFailed(path: path, detail: "\(name), rows \(start)..<\(start + count)") }
            let bytes = count * columns * elementSize
            guard fwrite(buffer, 1, bytes, file) == bytes else {
                throw .writeFailed(path: output, detail: String(cString: strerror(errno)))
            }
            start += count
        }
        guard fflush(file) == 0 else { throw .writeFailed(path: output, detail: String(cString: strerror(errno))) }
    }

    /// The native memory type to read a dataset with, and its NumPy descriptor.
    static func memoryType(of dataset: hid_t, name: String, path: String) throws(StoreError) -> (hid_t, String) {
        let fileType = H5Dget_type(dataset)
        defer { H5Tclose(fileType) }
        var typeClass = H5Tget_class(fileType)
        var base = H5Tcopy(fileType)
        if typeClass == H5T_ENUM {
            // h5py stores bool as an enum over int8: read the values underneath.
            H5Tclose(base)
            base = H5Tget_super(fileType)
            typeClass = H5Tget_class(base)
        }
        defer { H5Tclose(base) }
        let size = Int(H5Tget_size(base))
        switch typeClass {
        case H5T_INTEGER where [1, 2, 4, 8].contains(size):
            let signed = H5Tget_sign(base) != H5T_SGN_NONE
            return (H5Tget_native_type(base, H5T_DIR_ASCEND), (size == 1 ? "|" : "<") + (signed ? "i" : "u") + "\(size)")
        case H5T_FLOAT where size == 8:
            return (H5Tcopy(rbm_h5t_native_double()), "<f8")
        case H5T_FLOAT:
            return (H5Tcopy(rbm_h5t_native_float()), "<f4")
        default:
            throw .wrongType(path: path, object: name, expected: "a numeric dataset (integers, floats or booleans)")
        }
    }

    /// A version-1 `.npy` header, padded so that the data start at a multiple of 64 bytes.
    public static func npyHeader(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dictionary = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + dictionary.utf8.count + 1) % 64 != 0 { dictionary += " " }
        dictionary += "\n"
        let length = dictionary.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dictionary.utf8)
    }
}
