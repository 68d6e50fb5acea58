#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inlinable func _log(_ x: Double) -> Double { log(x) }
@inlinable func _cos(_ x: Double) -> Double { cos(x) }
@inlinable func _exp(_ x: Double) -> Double { exp(x) }
@inlinable func _log1p(_ x: Double) -> Double { log1p(x) }

/// softplus(x) = log(1 + eˣ), computed without overflow: max(x, 0) + log1p(e^(−|x|)).
@inlinable public func softplus(_ x: Double) -> Double {
    max(x, 0) + log1p(exp(-abs(x)))
}

/// log Σ eˣⁱ, stable for large and very negative terms.
@inlinable public func logSumExp<C: Collection>(_ values: C) -> Double where C.Element == Double {
    guard let largest = values.max(), largest.isFinite else { return values.max() ?? -.infinity }
    var sum = 0.0
    for value in values { sum += exp(value - largest) }
    return largest + log(sum)
}

/// Vectorized logistic function used on the hot path.
///
/// σ(x) = 1 / (1 + e^(−x)), with e^y from the Cephes single-precision polynomial:
/// y = n·ln2 + r, |r| ≤ ln2/2, e^y = 2ⁿ·(1 + r + r²·P(r)). Relative error of e^y is below
/// 2·10⁻⁷ over the clamped range [−87, 88]; σ saturates to 0 or 1 beyond it.
public enum Logistic {
    @inlinable @inline(__always)
    public static func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let low = SIMD8<Float>(repeating: -87), high = SIMD8<Float>(repeating: 88)
        var x = input.replacing(with: low, where: input .< low)
        x.replace(with: high, where: x .> high)
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer n and leaves n in the low
        // mantissa bits, which gives both n as a float and its integer bits without a
        // (slow, generic) float-to-integer vector conversion.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.442_695_040_888_963_4 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_400_546_905_8e-4
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let polynomial = p * r * r + r + 1
        let integerN = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let exponent = (integerN &+ 127) &<< 23
        return polynomial * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

    /// In place: values[i] = σ(values[i] + bias[i % biasCount]) over `rows` rows of `columns`.
    @inlinable
    public static func applyWithBias(
        _ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>
    ) {
        let raw = UnsafeMutableRawPointer(values)
        let rawBias = UnsafeRawPointer(bias)
        let stride = MemoryLayout<Float>.stride
        let vectorColumns = columns / 8 * 8
        for row in 0..<rows {
            let rowStart = row * columns
            var column = 0
            while column < vectorColumns {
                let offset = (rowStart + column) * stride
                let x = raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    + rawBias.loadUnaligned(fromByteOffset: column * stride, as: SIMD8<Float>.self)
                raw.storeBytes(of: 1 / (1 + exp8(-x)), toByteOffset: offset, as: SIMD8<Float>.self)
                column += 8
            }
            while column < columns {
                let x = values[rowStart + column] + bias[column]
                var lane = SIMD8<Float>(repeating: 0)
                lane[0] = -x
                values[rowStart + column] = 1 / (1 + exp8(lane)[0])
                column += 1
            }
        }
    }
}
