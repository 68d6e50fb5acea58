import CRBMKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inlinable func _log(_ x: Double) -> Double { log(x) }
@inlinable func _cos(_ x: Double) -> Double { cos(x) }
@inlinable func _exp(_ x: Double) -> Double { exp(x) }

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

    /// Natural logarithm for z in [1, 2] (Cephes logf: z = 2^e·m, m in [√½, √2), e = 0 or 1):
    /// the split is one comparison here, cheaper than `log8`'s exponent bits (the softplus
    /// calls it once per hidden unit and β in AIS). Relative error below 2·10⁻⁷.
    @inlinable @inline(__always)
    static func logOneToTwo(_ z: SIMD8<Float>) -> SIMD8<Float> {
        let large = z .> SIMD8(repeating: 1.414_213_5)
        let m = z.replacing(with: z * 0.5, where: large)
        let e = SIMD8<Float>(repeating: 0).replacing(with: 1, where: large)
        return logOfSplit(x: m - 1, e: e)
    }

    /// Natural logarithm of positive normal floats (Cephes logf: z = 2^e·m with m in [√½, √2),
    /// from the exponent and mantissa bits). Relative error below 2·10⁻⁷, also near z = 1,
    /// where m − 1 is exact.
    @inlinable @inline(__always)
    public static func log8(_ z: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(z, to: SIMD8<Int32>.self)
        // z = m·2^e with m in [0.5, 1): the exponent field less 126, the mantissa under 0.5's.
        var exponent = (bits &>> 23) &- 126
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: SIMD8<Float>.self)
        // m ≤ √½ (not <): on [1, 2] the same split as `logOneToTwo`, bit for bit.
        let small = m .<= SIMD8(repeating: 0.707_106_77)
        exponent.replace(with: exponent &- 1, where: small)
        m = m.replacing(with: m + m, where: small)
        // e as a float without a generic conversion: 1.5·2²³ + e, less 1.5·2²³.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let e = unsafeBitCast(exponent &+ unsafeBitCast(magic, to: SIMD8<Int32>.self), to: SIMD8<Float>.self) - magic
        return logOfSplit(x: m - 1, e: e)
    }

    /// log(2^e·(1 + x)) for x in [√½ − 1, √2 − 1): Cephes' degree-9 polynomial in x, ln 2 split
    /// in two parts.
    @inlinable @inline(__always)
    static func logOfSplit(x: SIMD8<Float>, e: SIMD8<Float>) -> SIMD8<Float> {
        let x2 = x * x
        var p = SIMD8<Float>(repeating: 7.037_683_629_2e-2)
        p = p * x - 1.151_461_031_0e-1
        p = p * x + 1.167_699_874_0e-1
        p = p * x - 1.242_014_084_6e-1
        p = p * x + 1.424_932_278_7e-1
        p = p * x - 1.666_805_766_5e-1
        p = p * x + 2.000_071_476_5e-1
        p = p * x - 2.499_999_399_3e-1
        p = p * x + 3.333_333_117_4e-1
        var y = x * x2 * p
        y = y + e * -2.121_944_40e-4
        y = y - 0.5 * x2
        return x + y + e * 0.693_359_375
    }

    /// (cos 2πt, sin 2πt) for t in [0, 1) (turns): t is reduced to the nearest quarter turn q/4
    /// (exactly: t has 24-bit resolution), the rest a = 2π(t − q/4) in [−π/4, π/4] goes through
    /// Cephes' sinf and cosf polynomials, and the quadrant q mod 4 swaps and signs them. Absolute
    /// error below 3·10⁻⁷.
    @inlinable @inline(__always)
    public static func cosSinOfTurns8(_ t: SIMD8<Float>) -> (cos: SIMD8<Float>, sin: SIMD8<Float>) {
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = t * 4 + magic
        let quarter = shifted - magic
        let quadrant = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)) & 3
        let a = (t - quarter * 0.25) * 6.283_185_307_179_586
        let a2 = a * a
        var sine = SIMD8<Float>(repeating: -1.951_529_589_1e-4)
        sine = sine * a2 + 8.332_160_873_6e-3
        sine = sine * a2 - 1.666_665_461_1e-1
        sine = sine * a2 * a + a
        var cosine = SIMD8<Float>(repeating: 2.443_315_711_809_948e-5)
        cosine = cosine * a2 - 1.388_731_625_493_765e-3
        cosine = cosine * a2 + 4.166_664_568_298_827e-2
        cosine = cosine * a2 * a2 - 0.5 * a2 + 1
        let one = SIMD8<Int32>(repeating: 1), two = SIMD8<Int32>(repeating: 2)
        let swapped = (quadrant & one) .== one
        var cosTurn = cosine.replacing(with: sine, where: swapped)
        var sinTurn = sine.replacing(with: cosine, where: swapped)
        cosTurn.replace(with: -cosTurn, where: (quadrant .== one) .| (quadrant .== two))
        sinTurn.replace(with: -sinTurn, where: (quadrant & two) .== two)
        return (cosTurn, sinTurn)
    }

    /// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)), with log1p(u) computed as
    /// log(1+u)·u/((1+u)−1) so that it stays accurate when u is tiny.
    @inlinable @inline(__always)
    public static func softplus8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let zero = SIMD8<Float>(repeating: 0)
        let absolute = x.replacing(with: -x, where: x .< zero)
        let u = exp8(-absolute)
        let onePlus = 1 + u
        let denominator = onePlus - 1
        let ratio = u / denominator.replacing(with: 1, where: denominator .== zero)
        let log1p = (logOneToTwo(onePlus) * ratio).replacing(with: u, where: denominator .== zero)
        return x.replacing(with: zero, where: x .< zero) + log1p
    }

    /// Σⱼ [softplus(β₁·xⱼ) − softplus(β₀·xⱼ)], the unitwise differences summed (in single
    /// precision, then returned as a double): far more accurate than differencing two sums.
    @inlinable
    public static func softplusDifferenceSum(_ x: UnsafePointer<Float>, count: Int, from beta0: Float,
                                             to beta1: Float) -> Double {
        let raw = UnsafeRawPointer(x)
        var accumulator = SIMD8<Float>(repeating: 0)
        var index = 0
        let vectorCount = count / 8 * 8
        while index < vectorCount {
            let value = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            accumulator += softplus8(beta1 * value) - softplus8(beta0 * value)
            index += 8
        }
        var total = Double(accumulator.sum())
        while index < count {
            total += softplus(Double(beta1 * x[index])) - softplus(Double(beta0 * x[index]))
            index += 1
        }
        return total
    }

    /// Σⱼ softplus(xⱼ + offsetⱼ): terms in single precision, summed in single-precision lanes
    /// over blocks of 64 terms and the blocks in double precision.
    @inlinable
    public static func softplusSum(_ x: UnsafePointer<Float>, offset: UnsafePointer<Float>, count: Int) -> Double {
        let raw = UnsafeRawPointer(x)
        let rawOffset = UnsafeRawPointer(offset)
        var total = 0.0
        var index = 0
        let vectorCount = count / 8 * 8
        var block = SIMD8<Float>(repeating: 0)
        var blockLength = 0
        while index < vectorCount {
            let value = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                + rawOffset.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            block += softplus8(value)
            blockLength += 1
            if blockLength == 8 {
                total += Double(block.sum())
                block = SIMD8(repeating: 0)
                blockLength = 0
            }
            index += 8
        }
        total += Double(block.sum())
        while index < count {
            total += softplus(Double(x[index] + offset[index]))
            index += 1
        }
        return total
    }

    /// σ(β(x + bias)) in place over one row of `columns` values; β = 1 is `applyWithBias`.
    @inlinable
    public static func applyTempered(_ values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>,
                                     beta: Float) {
        if beta == 1 { return applyWithBias(values, rows: 1, columns: columns, bias: bias) }
        let raw = UnsafeMutableRawPointer(values)
        let rawBias = UnsafeRawPointer(bias)
        let stride = MemoryLayout<Float>.stride
        let vectorColumns = columns / 8 * 8
        // Whole vectors go to the AVX2 twin (logistic.c) where the CPU has it: the same bits.
        var column = vectorColumns > 0 && rbm_logistic_tempered(values, columns, bias, beta) == 1 ? vectorColumns : 0
        while column < vectorColumns {
            let offset = column * stride
            let x = (raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                + rawBias.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)) * beta
            raw.storeBytes(of: 1 / (1 + exp8(-x)), toByteOffset: offset, as: SIMD8<Float>.self)
            column += 8
        }
        while column < columns {
            var lane = SIMD8<Float>(repeating: 0)
            lane[0] = -(values[column] + bias[column]) * beta
            values[column] = 1 / (1 + exp8(lane)[0])
            column += 1
        }
    }

    /// values[r][c] ← σ(values[r][c] + bias[c]) over `rows` rows of `columns`. Whole vectors of 8
    /// go to the AVX2 twin of this code (CRBMKernels' logistic.c: the same operations and
    /// constants, the same bits) where the CPU has it.
    public static func applyWithBias(
        _ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>
    ) {
        let raw = UnsafeMutableRawPointer(values)
        let rawBias = UnsafeRawPointer(bias)
        let stride = MemoryLayout<Float>.stride
        let vectorColumns = columns / 8 * 8
        let vectorsDone = vectorColumns > 0 && rbm_logistic_with_bias(values, rows, columns, bias) == 1
        for row in 0..<rows {
            let rowStart = row * columns
            var column = vectorsDone ? vectorColumns : 0
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
