import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Scalar attributes: strings (variable-length UTF-8, so h5py reads `str`), integers and
/// doubles, read back with checks of their class and size (a corrupt file must not make
/// libhdf5 write past a buffer).
extension HDF5File {
    /// Sets a string attribute on the object at `object` ("/" for the file). It is stored as a
    /// variable-length UTF-8 string, which h5py reads as `str` (fixed-length ones come as bytes).
    public func setAttribute(_ name: String, string value: String, on object: String = "/") throws(StoreError) {
        let type = H5Tcopy(rbm_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, rbm_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        try writeAttribute(name, on: object, type: type) { attribute throws(StoreError) in
            let status = value.withCString { characters in
                var pointer: UnsafePointer<CChar>? = characters
                return H5Awrite(attribute, type, &pointer)
            }
            guard status >= 0 else { throw .writeFailed(path: path, detail: "attribute \(name)") }
        }
    }

    public func setAttribute(_ name: String, int64 value: Int64, on object: String = "/") throws(StoreError) {
        try setScalarAttribute(name, value, type: rbm_h5t_native_int64(), on: object)
    }

    public func setAttribute(_ name: String, uint64 value: UInt64, on object: String = "/") throws(StoreError) {
        try setScalarAttribute(name, value, type: rbm_h5t_native_uint64(), on: object)
    }

    public func setAttribute(_ name: String, double value: Double, on object: String = "/") throws(StoreError) {
        try setScalarAttribute(name, value, type: rbm_h5t_native_double(), on: object)
    }

    /// One numeric value whose memory layout is the native HDF5 type `type`.
    private func setScalarAttribute<Value>(_ name: String, _ value: Value, type: hid_t,
                                           on object: String) throws(StoreError) {
        var copy = value
        try writeAttribute(name, on: object, type: type) { attribute throws(StoreError) in
            guard H5Awrite(attribute, type, &copy) >= 0 else {
                throw .writeFailed(path: path, detail: "attribute \(name)")
            }
        }
    }

    public func hasAttribute(_ name: String, on object: String = "/") -> Bool {
        H5Aexists_by_name(id, object, name, rbm_h5p_default()) > 0
    }

    /// A string attribute (fixed or variable length).
    public func stringAttribute(_ name: String, on object: String = "/") throws(StoreError) -> String {
        let attribute = try openAttribute(name, on: object)
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING else {
            throw .wrongType(path: path, object: "attribute \(name)", expected: "a string")
        }
        if H5Tis_variable_str(type) > 0 {
            let memoryType = H5Tcopy(rbm_h5t_c_s1())
            defer { H5Tclose(memoryType) }
            H5Tset_size(memoryType, rbm_h5t_variable())
            H5Tset_cset(memoryType, H5Tget_cset(type))
            var pointer: UnsafeMutablePointer<CChar>? = nil
            guard H5Aread(attribute, memoryType, &pointer) >= 0, let pointer else {
                throw .readFailed(path: path, detail: "attribute \(name)")
            }
            defer { H5free_memory(pointer) }
            return String(cString: pointer)
        }
        let size = H5Tget_size(type)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        guard bytes.withUnsafeMutableBytes({ H5Aread(attribute, type, $0.baseAddress) }) >= 0 else {
            throw .readFailed(path: path, detail: "attribute \(name)")
        }
        let end = bytes.firstIndex(of: 0) ?? size
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// An integer attribute, converted to Int64.
    public func int64Attribute(_ name: String, on object: String = "/") throws(StoreError) -> Int64 {
        try integerAttribute(name, on: object, as: rbm_h5t_native_int64(), initial: Int64(0))
    }

    /// An integer attribute, converted to UInt64.
    public func uint64Attribute(_ name: String, on object: String = "/") throws(StoreError) -> UInt64 {
        try integerAttribute(name, on: object, as: rbm_h5t_native_uint64(), initial: UInt64(0))
    }

    /// Reads an integer-class attribute converted to the native `type` of `Value`.
    private func integerAttribute<Value>(_ name: String, on object: String, as type: hid_t,
                                         initial: Value) throws(StoreError) -> Value {
        let attribute = try openAttribute(name, on: object)
        defer { H5Aclose(attribute) }
        try requireClass(attribute, H5T_INTEGER, name: name, expected: "an integer")
        var value = initial
        guard H5Aread(attribute, type, &value) >= 0 else {
            throw .readFailed(path: path, detail: "attribute \(name)")
        }
        return value
    }

    public func doubleAttribute(_ name: String, on object: String = "/") throws(StoreError) -> Double {
        let attribute = try openAttribute(name, on: object)
        defer { H5Aclose(attribute) }
        var value = 0.0
        guard H5Aread(attribute, rbm_h5t_native_double(), &value) >= 0 else {
            throw .readFailed(path: path, detail: "attribute \(name)")
        }
        return value
    }

    /// An attribute's value as text, whatever its type (for `rbm inspect`).
    public func attributeText(_ name: String, on object: String = "/") -> String {
        if let text = try? stringAttribute(name, on: object) { return text }
        guard let attribute = try? openAttribute(name, on: object) else { return "?" }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            if H5Tget_sign(type) == H5T_SGN_NONE { return (try? uint64Attribute(name, on: object)).map(String.init) ?? "?" }
            return (try? int64Attribute(name, on: object)).map(String.init) ?? "?"
        case H5T_FLOAT:
            return (try? doubleAttribute(name, on: object)).map { "\($0)" } ?? "?"
        default:
            return "(unreadable)"
        }
    }


    // MARK: Attribute internals

    func openAttribute(_ name: String, on object: String) throws(StoreError) -> hid_t {
        guard exists(object), hasAttribute(name, on: object) else {
            throw .missing(path: path, object: "attribute '\(name)'" + (object == "/" ? "" : " of \(object)"))
        }
        let attribute = H5Aopen_by_name(id, object, name, rbm_h5p_default(), rbm_h5p_default())
        guard attribute >= 0 else { throw .readFailed(path: path, detail: "attribute \(name)") }
        // Every read below fills room for one value: an attribute holding several (or a
        // corrupt file claiming so) would write past it.
        let space = H5Aget_space(attribute)
        let points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1
        if space >= 0 { H5Sclose(space) }
        guard points == 1 else {
            H5Aclose(attribute)
            throw .wrongType(path: path, object: "attribute \(name)", expected: "a single value")
        }
        // libhdf5 1.10 trusts the stored value to be as large as its type says and reads past
        // it otherwise (found by fuzzing): check first. A variable-length value is stored as a
        // 16-byte heap reference. No attribute this project reads is larger than 16 MiB.
        let type = H5Aget_type(attribute)
        let needed = H5Tis_variable_str(type) > 0 ? 16 : H5Tget_size(type)
        H5Tclose(type)
        guard needed <= 1 << 24, H5Aget_storage_size(attribute) >= needed else {
            H5Aclose(attribute)
            throw .readFailed(path: path, detail: "attribute \(name) is shorter than its type (corrupt file)")
        }
        return attribute
    }

    func requireClass(_ attribute: hid_t, _ typeClass: H5T_class_t, name: String,
                              expected: String) throws(StoreError) {
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == typeClass else {
            throw .wrongType(path: path, object: "attribute \(name)", expected: expected)
        }
    }

    func writeAttribute(_ name: String, on object: String, type: hid_t,
                                _ body: (hid_t) throws(StoreError) -> Void) throws(StoreError) {
        if hasAttribute(name, on: object) { H5Adelete_by_name(id, object, name, rbm_h5p_default()) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate_by_name(id, object, name, type, space, rbm_h5p_default(), rbm_h5p_default(), rbm_h5p_default())
        guard attribute >= 0 else { throw .writeFailed(path: path, detail: "cannot create attribute \(name) on \(object)") }
        defer { H5Aclose(attribute) }
        try body(attribute)
    }

}
