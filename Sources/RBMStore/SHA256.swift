import CCrypto
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 (FIPS 180-4) by OpenSSL's libcrypto, for the provenance of feature files: which
/// checkpoint made them. A value type over one EVP digest context.
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto could not start a SHA-256 digest")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    /// The 32-byte digest; the hasher is spent afterwards.
    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }

    /// The hex digest of some bytes.
    public static func hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hexString(hasher.finalize())
    }

    /// The hex digest of a file, read in 1 MiB pieces.
    public static func hex(ofFile path: String) throws(StoreError) -> String {
        guard let file = fopen(path, "rb") else { throw .cannotOpen(path: path) }
        defer { fclose(file) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) } }
            if count < buffer.count {
                if ferror(file) != 0 { throw .readFailed(path: path, detail: String(cString: strerror(errno))) }
                break
            }
        }
        return hexString(hasher.finalize())
    }

    static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
