#if canImport(Glibc)
import Glibc
#endif

/// Products with a thin side — a few rows of data times W, as in a small minibatch or a block of
/// a small one — computed by BLIS's small-matrix ("sup") kernels instead of OpenBLAS.
///
/// OpenBLAS packs both operands into its blocked layout before every product; for 5 rows × W
/// the packing of W is most of the work. BLIS's sup kernels read the operands where they are.
/// Measured on one core (AMD EPYC, Zen 5; OpenBLAS 0.3.21 with its Haswell kernel against
/// BLIS 0.9.0's haswell kernels, both AVX2/FMA), GFLOP/s for 784 visible × 128 hidden units:
///
/// | rows | v·W OpenBLAS | v·W BLIS | h·Wᵀ OpenBLAS | h·Wᵀ BLIS |
/// |---:|---:|---:|---:|---:|
/// | 1 | 14 | 75 | 10 | 61 |
/// | 5 | 46 | 108 | 37 | 101 |
/// | 16 | 99 | 121 | 83 | 103 |
/// | 32 | 116 | 124 | 101 | 108 |
/// | 50 | 111 | 128 | 106 | 108 |
/// | 100 | 126 | 134 | 123 | 109 |
///
/// so a product goes to BLIS when its thinnest side is at most `thinSide` (32). Which library
/// computes a product depends on its shape alone, never on the number of workers: the trainer's
/// results stay bit-identical across workers, ranks and resumption. They differ in the last bits
/// between a machine with BLIS and one without, as they do between OpenBLAS's kernels.
///
/// BLIS is loaded at run time (Debian's single-threaded build, `libblis4-serial`, which `make
/// deps` installs) with `RTLD_LOCAL`, so its BLAS and CBLAS symbols never stand in for
/// OpenBLAS's. It always runs its `haswell` configuration (AVX2 and FMA, the kernels of its
/// zen configurations too): BLIS 0.9.0 does not know CPUs newer than itself and would fall back
/// to its slow generic code on them, and one configuration everywhere keeps a run's bits the same
/// on every x86-64 machine with AVX2. Without BLIS, without AVX2/FMA, or with
/// `RBM_SMALL_PRODUCTS=openblas` in the environment, OpenBLAS computes every product.
/// `RBM_BLIS_LIBRARY` names another BLIS shared library to load.
public enum SmallProducts {
    /// The thinnest side (rows, columns or inner dimension) at or below which BLIS computes a
    /// product.
    public static let thinSide = 32

    /// C = alpha·op(A)·op(B) + beta·C on element strides: element (i, j) of op(A) is at
    /// `a[i * rowStride + j * columnStride]`, and so on.
    typealias GEMM = @convention(c) (
        _ transposeA: Int32, _ transposeB: Int32, _ m: Int64, _ n: Int64, _ k: Int64,
        _ alpha: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ aRowStride: Int64, _ aColumnStride: Int64,
        _ b: UnsafePointer<Float>, _ bRowStride: Int64, _ bColumnStride: Int64,
        _ beta: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ cRowStride: Int64, _ cColumnStride: Int64
    ) -> Void

    struct Library: @unchecked Sendable {
        let gemm: GEMM
        let description: String
    }

    /// BLIS, loaded on first use, or why not.
    static let library: Result<Library, Unavailable> = load()

    /// Why BLIS does not compute small products in this process.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// True when BLIS computes the products whose thinnest side is at most `thinSide`.
    public static var isActive: Bool {
        if case .success = library { return true }
        return false
    }

    /// One line for benchmarks and logs: which library computes small products, and why.
    public static var summary: String {
        switch library {
        case .success(let library):
            return "products with a side ≤ \(thinSide): \(library.description)"
        case .failure(let reason):
            return "products with a side ≤ \(thinSide): OpenBLAS (\(reason))"
        }
    }

    /// Whether a product of this shape goes to BLIS.
    static func isThin(m: Int, n: Int, k: Int) -> Bool {
        min(m, n, k) <= thinSide
    }

    /// Row-major C[m×n] = alpha · op(A) · op(B) + beta · C by BLIS, with the leading dimensions
    /// of `cblas_sgemm`. Returns false (and computes nothing) when BLIS is not loaded.
    static func gemm(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        guard case .success(let library) = library else { return false }
        // Row-major op(A)[i, p] is a[i·lda + p], or a[p·lda + i] when A is stored transposed:
        // the transposes become strides, and BLIS is never asked to transpose.
        var alpha = alpha, beta = beta
        library.gemm(0, 0, Int64(m), Int64(n), Int64(k), &alpha,
                     a, Int64(transposeA ? 1 : lda), Int64(transposeA ? lda : 1),
                     b, Int64(transposeB ? 1 : ldb), Int64(transposeB ? ldb : 1),
                     &beta, c, Int64(ldc), 1)
        return true
    }

    private static func load() -> Result<Library, Unavailable> {
        func unavailable(_ reason: String) -> Result<Library, Unavailable> { .failure(Unavailable(description: reason)) }
        if let choice = environment("RBM_SMALL_PRODUCTS"), choice.lowercased() == "openblas" {
            return unavailable("RBM_SMALL_PRODUCTS=openblas")
        }
        #if arch(x86_64) && canImport(Glibc)
        guard cpuHasAVX2AndFMA() else { return unavailable("this CPU lacks AVX2 or FMA, which BLIS's haswell kernels need") }
        let path = environment("RBM_BLIS_LIBRARY") ?? "/usr/lib/x86_64-linux-gnu/blis-serial/libblis.so.4"
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return unavailable("no BLIS at \(path): `make deps` installs libblis4-serial")
        }
        typealias ArchitectureName = @convention(c) (Int32) -> UnsafePointer<CChar>?
        typealias ArchitectureQuery = @convention(c) () -> Int32
        typealias Initialize = @convention(c) () -> Void
        typealias Version = @convention(c) () -> UnsafePointer<CChar>?
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let gemm = symbol("bli_sgemm", as: GEMM.self),
              let architectureName = symbol("bli_arch_string", as: ArchitectureName.self),
              let architectureQuery = symbol("bli_arch_query_id", as: ArchitectureQuery.self),
              let initialize = symbol("bli_init", as: Initialize.self) else {
            return unavailable("\(path) lacks BLIS's typed API (bli_sgemm, bli_arch_string, bli_init)")
        }
        let version = symbol("bli_info_get_version_str", as: Version.self).flatMap { $0() }.map { String(cString: $0) } ?? "?"
        // BLIS chooses its configuration once, in bli_init, from BLIS_ARCH_TYPE (an index into
        // its list of configurations, which ends with "generic") when set, else from the CPU.
        var haswell: Int32?
        for index in Int32(0)..<64 {
            guard let name = architectureName(index).map({ String(cString: $0) }) else { break }
            if name == "haswell" { haswell = index }
            if name == "generic" { break }
        }
        guard let haswell else { return unavailable("BLIS \(version) at \(path) has no haswell configuration") }
        let chosenByUser = environment("BLIS_ARCH_TYPE") != nil
        if !chosenByUser { setenv("BLIS_ARCH_TYPE", String(haswell), 1) }
        initialize()
        if !chosenByUser { unsetenv("BLIS_ARCH_TYPE") }
        let chosen = architectureQuery()
        guard chosen == haswell else {
            let name = architectureName(chosen).map { String(cString: $0) } ?? "\(chosen)"
            return unavailable("BLIS_ARCH_TYPE selects BLIS's \(name) configuration, not haswell")
        }
        return .success(Library(gemm: gemm, description: "BLIS \(version) (haswell kernels, \(path))"))
        #else
        return unavailable("BLIS's haswell kernels need x86-64")
        #endif
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    #if canImport(Glibc)
    /// Whether /proc/cpuinfo lists both `avx2` and `fma` among the CPU's flags.
    private static func cpuHasAVX2AndFMA() -> Bool {
        guard let file = fopen("/proc/cpuinfo", "r") else { return false }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }))
            return flags.contains("avx2") && flags.contains("fma")
        }
        return false
    }
    #endif
}
