import CHDF5
import RBMSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A small, typed layer over the HDF5 C API: files, groups, float/int datasets (optionally
/// chunked with shuffle + gzip) and scalar attributes. Objects are named by absolute paths
/// such as "/model/weights". Not thread-safe (the serial HDF5 library is not): use it from one
/// thread.
public final class HDF5File {
    public let path: String
    let id: hid_t

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit { H5Fclose(id) }

    /// Creates (or truncates) a file.
    public static func create(path: String) throws(StoreError) -> HDF5File {
        rbm_h5_silence_errors()
        let id = H5Fcreate(path, rbm_h5f_acc_trunc(), rbm_h5p_default(), rbm_h5p_default())
        guard id >= 0 else { throw .cannotCreate(path: path, detail: "HDF5 could not create the file") }
        return HDF5File(path: path, id: id)
    }

    /// Creates a file in memory (HDF5's core driver, no backing store): nothing touches the
    /// disk until the caller writes `image()` itself, with every write checked. `name` is for
    /// messages (the file's eventual path).
    public static func createInMemory(name: String) throws(StoreError) -> HDF5File {
        rbm_h5_silence_errors()
        let access = H5Pcreate(rbm_h5p_file_access())
        guard access >= 0 else { throw .cannotCreate(path: name, detail: "HDF5 could not make a file-access list") }
        defer { H5Pclose(access) }
        guard H5Pset_fapl_core(access, 1 << 20, false) >= 0 else {
            throw .cannotCreate(path: name, detail: "HDF5's in-memory driver is unavailable")
        }
        // The core driver refuses a second open file of the same name: make each one unique.
        let unique = "\(name)#memory-\(inMemoryCounter.add(1, ordering: .relaxed).newValue)"
        let id = H5Fcreate(unique, rbm_h5f_acc_trunc(), rbm_h5p_default(), access)
        guard id >= 0 else { throw .cannotCreate(path: name, detail: "HDF5 could not create the file in memory") }
        return HDF5File(path: name, id: id)
    }

    /// The bytes of the whole file as it would be on disk (flushed first).
    public func image() throws(StoreError) -> [UInt8] {
        try flush()
        let size = H5Fget_file_image(id, nil, 0)
        guard size > 0 else { throw .writeFailed(path: path, detail: "HDF5 could not size the file image") }
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = bytes.withUnsafeMutableBytes { H5Fget_file_image(id, $0.baseAddress, size) }
        guard copied == size else { throw .writeFailed(path: path, detail: "HDF5 could not copy the file image") }
        return bytes
    }

    /// Opens an existing file read-only, telling a missing file from one that is not HDF5.
    public static func openReadOnly(path: String) throws(StoreError) -> HDF5File {
        rbm_h5_silence_errors()
        try checkReadableFile(path)
        // A regular, readable file that libhdf5 cannot open is damaged, or locked by a writer.
        func failure() -> StoreError {
            var status = stat()
            let isReadableFile = stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
            return isReadableFile
                ? .unreadable(path: path, detail: "libhdf5 cannot open it (unless another program is writing it)")
                : .cannotOpen(path: path)
        }
        let isHDF5 = H5Fis_hdf5(path)
        if isHDF5 < 0 { throw failure() }
        if isHDF5 == 0 { throw .notHDF5(path: path) }
        let id = H5Fopen(path, rbm_h5f_acc_rdonly(), rbm_h5p_default())
        guard id >= 0 else { throw failure() }
        return HDF5File(path: path, id: id)
    }

    /// Throws `.cannotOpen` when `path` cannot be read and `.notRegularFile` when it is a FIFO, a
    /// device or a folder: libhdf5 (or its child process) would block on a FIFO until its
    /// time limit, or read a device without end.
    static func checkReadableFile(_ path: String) throws(StoreError) {
        guard access(path, R_OK) == 0 else { throw .cannotOpen(path: path) }
        do { try checkRegularFile(path) } catch { throw .notRegularFile(path: path, detail: error.reason) }
    }

    /// Writes everything buffered to disk.
    public func flush() throws(StoreError) {
        guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
            throw .writeFailed(path: path, detail: "flush failed")
        }
    }

    // MARK: Structure

    /// Creates the group at `name` and any missing parents.
    public func createGroup(_ name: String) throws(StoreError) {
        var current = ""
        for component in name.split(separator: "/") {
            current += "/" + component
            if exists(current) { continue }
            let group = H5Gcreate2(id, current, rbm_h5p_default(), rbm_h5p_default(), rbm_h5p_default())
            guard group >= 0 else { throw .writeFailed(path: path, detail: "cannot create group \(current)") }
            H5Gclose(group)
        }
    }

    /// True when an object (group or dataset) exists at `name`.
    public func exists(_ name: String) -> Bool {
        if name == "/" { return true }
        var current = ""
        for component in name.split(separator: "/") {
            current += "/" + component
            guard H5Lexists(id, current, rbm_h5p_default()) > 0 else { return false }
        }
        return true
    }

    public enum ObjectKind: Sendable { case group, dataset, other }

    /// The names of the links in a group, in name order.
    public func children(of group: String) -> [String] {
        let groupID = H5Gopen2(id, group, rbm_h5p_default())
        guard groupID >= 0 else { return [] }
        defer { H5Gclose(groupID) }
        var names: [String] = []
        var index: hsize_t = 0
        _ = withUnsafeMutablePointer(to: &names) { pointer in
            H5Literate(groupID, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                let names = context!.assumingMemoryBound(to: [String].self)
                names.pointee.append(String(cString: name!))
                return 0
            }, pointer)
        }
        return names
    }

    public func kind(of name: String) -> ObjectKind {
        let object = H5Oopen(id, name, rbm_h5p_default())
        guard object >= 0 else { return .other }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    // MARK: Datasets

    /// How a dataset is laid out on disk.
    public struct Storage: Sendable {
        /// Rows per chunk (the other dimensions are whole), or nil for contiguous storage.
        public var chunkRows: Int?
        /// gzip level 1–9 with the shuffle filter, or nil for none. Needs `chunkRows`.
        public var gzipLevel: Int?
        public static let contiguous = Storage(chunkRows: nil, gzipLevel: nil)
        public init(chunkRows: Int?, gzipLevel: Int?) {
            self.chunkRows = chunkRows
            self.gzipLevel = gzipLevel
        }
    }

    /// Writes a float32 dataset of `shape` (C order).
    public func write(_ name: String, floats: [Float], shape: [Int], storage: Storage = .contiguous) throws(StoreError) {
        precondition(floats.count == shape.reduce(1, *), "\(name): \(floats.count) values for shape \(shape)")
        try createDataset(name, type: rbm_h5t_native_float(), shape: shape, storage: storage)
        try writeRows(name, type: rbm_h5t_native_float(), rowOffset: 0, rows: shape.first ?? 1, bytes: floats)
    }

    /// Writes an int32 dataset.
    public func write(_ name: String, int32s: [Int32], shape: [Int], storage: Storage = .contiguous) throws(StoreError) {
        precondition(int32s.count == shape.reduce(1, *))
        try createDataset(name, type: rbm_h5t_native_int32(), shape: shape, storage: storage)
        try writeRows(name, type: rbm_h5t_native_int32(), rowOffset: 0, rows: shape.first ?? 1, bytes: int32s)
    }

    /// Creates an empty dataset to be filled row block by row block with `writeRows`.
    public func createFloatDataset(_ name: String, shape: [Int], storage: Storage) throws(StoreError) {
        try createDataset(name, type: rbm_h5t_native_float(), shape: shape, storage: storage)
    }

    public func createInt32Dataset(_ name: String, shape: [Int], storage: Storage) throws(StoreError) {
        try createDataset(name, type: rbm_h5t_native_int32(), shape: shape, storage: storage)
    }

    /// Writes rows `rowOffset ..< rowOffset + rows` of a dataset from `values` (C order).
    public func writeRows(_ name: String, rowOffset: Int, rows: Int, floats values: [Float]) throws(StoreError) {
        try writeRows(name, type: rbm_h5t_native_float(), rowOffset: rowOffset, rows: rows, bytes: values)
    }

    public func writeRows(_ name: String, rowOffset: Int, rows: Int, int32s values: [Int32]) throws(StoreError) {
        try writeRows(name, type: rbm_h5t_native_int32(), rowOffset: rowOffset, rows: rows, bytes: values)
    }

    /// The shape of a dataset, or nil when there is none at `name`.
    public func shape(of name: String) -> [Int]? {
        guard exists(name) else { return nil }
        let dataset = H5Dopen2(id, name, rbm_h5p_default())
        guard dataset >= 0 else { return nil }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank >= 0 else { return nil }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return rank == 0 ? [] : dims.prefix(rank).map { Int($0) }
    }

    /// A short name of a dataset's element type: float32, float64, int32, uint8, string, ….
    public func typeName(of name: String) -> String {
        let dataset = H5Dopen2(id, name, rbm_h5p_default())
        guard dataset >= 0 else { return "?" }
        defer { H5Dclose(dataset) }
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let size = H5Tget_size(type) * 8
        switch H5Tget_class(type) {
        case H5T_FLOAT: return "float\(size)"
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size)"
        case H5T_STRING: return "string"
        default: return "other"
        }
    }

    /// Reads a whole float dataset (converted to float32), checking its shape when given.
    public func readFloats(_ name: String, expectedShape: [Int]? = nil) throws(StoreError) -> (values: [Float], shape: [Int]) {
        try readAll(name, type: rbm_h5t_native_float(), typeName: "a number array", expectedShape: expectedShape)
    }

    public func readInt32s(_ name: String, expectedShape: [Int]? = nil) throws(StoreError) -> (values: [Int32], shape: [Int]) {
        try readAll(name, type: rbm_h5t_native_int32(), typeName: "an integer array", expectedShape: expectedShape)
    }

    // MARK: Internals

    private func createDataset(_ name: String, type: hid_t, shape: [Int], storage: Storage) throws(StoreError) {
        if let parent = parentGroup(of: name) { try createGroup(parent) }
        var dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        guard space >= 0 else { throw .writeFailed(path: path, detail: "dataspace for \(name)") }
        defer { H5Sclose(space) }
        let properties = H5Pcreate(rbm_h5p_dataset_create())
        defer { H5Pclose(properties) }
        if let chunkRows = storage.chunkRows, let rows = shape.first, rows > 0, shape.allSatisfy({ $0 > 0 }) {
            var chunk = dims
            chunk[0] = hsize_t(min(chunkRows, rows))
            H5Pset_chunk(properties, Int32(chunk.count), &chunk)
            if let level = storage.gzipLevel {
                H5Pset_shuffle(properties)
                H5Pset_deflate(properties, UInt32(level))
            }
        }
        let dataset = H5Dcreate2(id, name, type, space, rbm_h5p_default(), properties, rbm_h5p_default())
        guard dataset >= 0 else { throw .writeFailed(path: path, detail: "cannot create dataset \(name)") }
        H5Dclose(dataset)
    }

    private func writeRows<Element>(_ name: String, type: hid_t, rowOffset: Int, rows: Int,
                                    bytes values: [Element]) throws(StoreError) {
        let dataset = H5Dopen2(id, name, rbm_h5p_default())
        guard dataset >= 0 else { throw .missing(path: path, object: name) }
        defer { H5Dclose(dataset) }
        let fileSpace = H5Dget_space(dataset)
        defer { H5Sclose(fileSpace) }
        let rank = Int(H5Sget_simple_extent_ndims(fileSpace))
        if rank == 0 {
            guard values.withUnsafeBytes({ H5Dwrite(dataset, type, rbm_h5s_all(), rbm_h5s_all(), rbm_h5p_default(), $0.baseAddress) }) >= 0 else {
                throw .writeFailed(path: path, detail: name)
            }
            return
        }
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(fileSpace, &dims, nil)
        var start = [hsize_t](repeating: 0, count: rank)
        start[0] = hsize_t(rowOffset)
        var count = dims
        count[0] = hsize_t(rows)
        precondition(values.count == count.reduce(1) { $0 * Int($1) }, "\(name): wrong number of values for the rows")
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil)
        let memorySpace = H5Screate_simple(Int32(rank), &count, nil)
        defer { H5Sclose(memorySpace) }
        let status = values.withUnsafeBytes {
            H5Dwrite(dataset, type, memorySpace, fileSpace, rbm_h5p_default(), $0.baseAddress)
        }
        guard status >= 0 else { throw .writeFailed(path: path, detail: "\(name) rows \(rowOffset)..<\(rowOffset + rows)") }
    }

    private func readAll<Element: Numeric>(_ name: String, type: hid_t, typeName: String,
                                           expectedShape: [Int]?) throws(StoreError) -> (values: [Element], shape: [Int]) {
        guard exists(name), kind(of: name) == .dataset, let shape = shape(of: name) else {
            throw .missing(path: path, object: "dataset \(name)")
        }
        if let expectedShape, expectedShape != shape {
            throw .wrongShape(path: path, object: name, expected: expectedShape, found: shape)
        }
        let dataset = H5Dopen2(id, name, rbm_h5p_default())
        defer { H5Dclose(dataset) }
        let fileType = H5Dget_type(dataset)
        let typeClass = H5Tget_class(fileType)
        H5Tclose(fileType)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
            throw .wrongType(path: path, object: name, expected: typeName)
        }
        // A corrupt dataspace can claim any size: refuse counts that overflow or that the file
        // could not hold even compressed 1000:1, instead of trying to allocate them.
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, size >= 0 else { throw .wrongShape(path: path, object: name, expected: [], found: shape) }
            count = product
        }
        var fileStatus = stat()
        let fileBytes = stat(path, &fileStatus) == 0 ? Int(fileStatus.st_size) : 0
        guard count <= max(fileBytes * 1000, 1 << 24) else {
            throw .readFailed(path: path, detail: "\(name) claims \(count) values, more than the file can hold")
        }
        var values = [Element](repeating: 0, count: count)
        let status = values.withUnsafeMutableBytes {
            H5Dread(dataset, type, rbm_h5s_all(), rbm_h5s_all(), rbm_h5p_default(), $0.baseAddress)
        }
        guard status >= 0 else { throw .readFailed(path: path, detail: name) }
        return (values, shape)
    }

    private func parentGroup(of name: String) -> String? {
        guard let slash = name.lastIndex(of: "/"), slash != name.startIndex else { return nil }
        return String(name[..<slash])
    }
}

private let inMemoryCounter = Atomic<Int>(0)
