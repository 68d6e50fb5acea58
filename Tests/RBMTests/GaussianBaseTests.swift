import Foundation
import Testing
import RBM

/// AIS's Gaussian base model of per-unit variances, N(μ, diag s²), against computations made
/// here: its annealed integral by quadrature, its draws' moments, and the exact log Z that AIS
/// and reverse AIS from it must bracket.
@Suite struct GaussianBaseTests {
    /// log ∫ exp(−(1 − β)(v − μ)²/(2s²) − β(v − b)²/2 + βav) dv by the trapezoid rule on a grid
    /// wide enough for every case here (the integrand is a Gaussian of standard deviation ≤ 3).
    static func logIntegral(mean: Double, variance: Double, bias: Double, input: Double, beta: Double) -> Double {
        let exponent = { (v: Double) in
            -(1 - beta) * (v - mean) * (v - mean) / (2 * variance) - beta * (v - bias) * (v - bias) / 2 + beta * input * v
        }
        let step = 1e-3
        let values = stride(from: -60.0, through: 60.0, by: step).map(exponent)
        let largest = values.max()!
        let sum = values.reduce(0.0) { $0 + exp($1 - largest) } * step
        return largest + log(sum)
    }

    /// The visible layer integrated out along the path, differenced between two β, equals the
    /// same difference of the quadrature above, unit by unit summed, for variances below,
    /// at and above 1.
    @Test func theAnnealedIntegralIsTheQuadratures() {
        let means: [Float] = [0.3, -1.2, 2.0], variances: [Float] = [0.5, 1, 6.25]
        let bias: [Float] = [-0.4, 0.8, 1.5], input: [Float] = [1.1, -0.7, 0.2]
        let base = means + variances
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 6)
        defer { scratch.deallocate() }
        for (beta0, beta1) in [(0.0, 0.01), (0.2, 0.6), (0.9, 1.0)] {
            let computed = input.withUnsafeBufferPointer {
                VisibleUnits.gaussian.annealedSummedOutDifference($0.baseAddress!, count: 3, from: Float(beta0), to: Float(beta1),
                                                                  base: base, modelBias: bias, scratch: scratch)
            }
            let expected = (0..<3).reduce(0.0) { sum, i in
                let at = { (beta: Double) in
                    Self.logIntegral(mean: Double(means[i]), variance: Double(variances[i]), bias: Double(bias[i]),
                                     input: Double(input[i]), beta: Double(Float(beta)))
                }
                return sum + at(beta1) - at(beta0)
            }
            #expect(abs(computed - expected) < 1e-6, "β \(beta0) → \(beta1): \(computed), quadrature \(expected)")
        }
    }

    /// Variances of 1 make the wide base the unit-variance one: the same integral, annealing
    /// term and base log Z.
    @Test func unitVariancesGiveTheUnitVarianceBase() {
        let stream = RandomStream(seed: 3, purpose: .evaluation)
        let count = 40
        let means = (0..<count).map { Float(stream.normal(row: 0, index: UInt32($0))) }
        let bias = (0..<count).map { Float(stream.normal(row: 1, index: UInt32($0))) }
        let input = (0..<count).map { Float(stream.normal(row: 2, index: UInt32($0))) }
        let values = (0..<count).map { Float(stream.normal(row: 3, index: UInt32($0))) }
        let wide = means + [Float](repeating: 1, count: count)
        let units = VisibleUnits.gaussian
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count)
        defer { scratch.deallocate() }
        input.withUnsafeBufferPointer { a in
            let narrow = units.annealedSummedOutDifference(a.baseAddress!, count: count, from: 0.3, to: 0.35, base: means,
                                                           modelBias: bias, scratch: scratch)
            let widened = units.annealedSummedOutDifference(a.baseAddress!, count: count, from: 0.3, to: 0.35, base: wide,
                                                            modelBias: bias, scratch: scratch)
            #expect(abs(narrow - widened) < 1e-5, "\(narrow) vs \(widened)")
        }
        let difference = zip(bias, means).map { Double($0 - $1) }
        values.withUnsafeBufferPointer { v in
            let narrow = units.annealingTerm(v.baseAddress!, count: count, modelBias: bias, base: means, biasDifference: difference)
            let widened = units.annealingTerm(v.baseAddress!, count: count, modelBias: bias, base: wide, biasDifference: difference)
            #expect(abs(narrow - widened) < 1e-9 * max(1, abs(narrow)))
        }
        #expect(abs(units.baseLogPartition(base: wide, visibleCount: count) - units.baseLogPartition(bias: means)) < 1e-9)
        #expect(abs(units.baseLogPartition(base: means + [Float](repeating: 4, count: count), visibleCount: count)
                    - units.baseLogPartition(bias: means) - Double(count) * log(2.0)) < 1e-9, "Σ ½ log s² with s² = 4")
    }

    /// Draws of the path's visible conditional at β have mean L/τ and variance 1/τ, with
    /// τ = (1 − β)/s² + β and L = (1 − β)μ/s² + β(b + hWᵀ); at β = 0 they are the base's N(μ, s²).
    @Test(arguments: [Float(0), 0.4, 1])
    func annealedDrawsHaveThePathsConditionalMoments(beta: Float) {
        let means: [Float] = [1, -2], variances: [Float] = [4, 0.25], bias: [Float] = [0.5, 0.5]
        let rows = 40_000
        var input = [Float](repeating: 0, count: rows * 2)
        for r in 0..<rows { input[2 * r] = 0.3; input[2 * r + 1] = -0.6 }
        var output = [Float](repeating: .nan, count: rows * 2)
        let drew = input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                VisibleUnits.gaussian.drawAnnealed(RandomStream(seed: 5, purpose: .evaluation, step: 3), rows: rows, count: 2,
                                                   streamRow: { $0 }, input: i.baseAddress!, beta: beta, base: means + variances,
                                                   modelBias: bias, into: o.baseAddress!)
            }
        }
        #expect(drew)
        for unit in 0..<2 {
            let precision = 1 / Double(variances[unit]), b = Double(beta)
            let tau = (1 - b) * precision + b
            let mean = ((1 - b) * precision * Double(means[unit]) + b * (Double(bias[unit]) + Double(input[unit]))) / tau
            let values = stride(from: unit, to: rows * 2, by: 2).map { Double(output[$0]) }
            let sampleMean = values.reduce(0, +) / Double(rows)
            let sampleVariance = values.reduce(0) { $0 + ($1 - sampleMean) * ($1 - sampleMean) } / Double(rows - 1)
            #expect(abs(sampleMean - mean) < 4 * (1 / tau / Double(rows)).squareRoot(), "unit \(unit): mean \(sampleMean), expected \(mean)")
            #expect(abs(sampleVariance / (1 / tau) - 1) < 0.03, "unit \(unit): variance \(sampleVariance), expected \(1 / tau)")
        }
        // Without variances the kind draws as usual (the chains' own code).
        let usual = input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                VisibleUnits.gaussian.drawAnnealed(RandomStream(seed: 5, purpose: .evaluation), rows: 1, count: 2, streamRow: { $0 },
                                                   input: i.baseAddress!, beta: beta, base: means, modelBias: bias, into: o.baseAddress!)
            }
        }
        #expect(!usual)
    }

    /// On data far from unit variance (per-unit scales 0.5 to 3), AIS and reverse AIS from the
    /// wide base bracket the exact log Z of a random Gaussian model within 0.1 nats, whichever
    /// layer the chains carry.
    @Test(arguments: [AnnealedImportanceSampling.Layer.hidden, .visible])
    func theBracketFromAWideBaseHoldsTheExactLogPartitionFunction(layer: AnnealedImportanceSampling.Layer) {
        let visible = 24, rows = 400
        let model = UnitReference.with(Reference.randomModel(visible: visible, hidden: 10, scale: 0.3, seed: 21), .gaussian)
        let stream = RandomStream(seed: 6, purpose: .evaluation, step: 2)
        let scales = (0..<visible).map { 0.5 + 2.5 * Float($0) / Float(visible - 1) }
        let data: [Float] = (0..<(rows * visible)).map { index in
            let noise = Float(stream.normal(row: 0, index: UInt32(index)))
            return noise * scales[index % visible] + Float(index % visible) / 10
        }
        func column(_ i: Int) -> [Float] { stride(from: i, to: data.count, by: visible).map { data[$0] } }
        let means: [Float] = (0..<visible).map { column($0).reduce(0, +) / Float(rows) }
        let variances: [Float] = (0..<visible).map { i in
            column(i).reduce(Float(0)) { sum, value in sum + (value - means[i]) * (value - means[i]) } / Float(rows)
        }
        let base = AnnealedImportanceSampling.baseParameters(model: model, means: means, variances: variances)
        #expect(base.count == 2 * visible && base[visible...].allSatisfy { $0 >= 1 } && base[visible...].contains { $0 > 4 })
        let exact = model.exactLogPartitionFunction()
        var annealing = AnnealedImportanceSampling(runs: 100, betaCount: 16_000, seed: 3, workers: 2)
        annealing.layer = layer
        let forward = annealing.estimate(model: model, baseVisibleBias: base)
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows)
        #expect(abs(forward.logPartitionFunction - exact) < 0.1 && abs(reverse.logPartitionFunction - exact) < 0.1,
                "\(layer): AIS \(forward.logPartitionFunction), reverse \(reverse.logPartitionFunction), exact \(exact)")
        #expect(forward.logPartitionFunction <= exact + 3 * forward.standardError + 0.01)
        #expect(reverse.logPartitionFunction >= exact - 3 * reverse.standardError - 0.01)
    }

    /// The base's variances are the data's, floored at 1, and with learned variances taken in
    /// the unit-variance model's coordinates (÷ σ²), as its means are (÷ σ).
    @Test func baseParametersFloorAtOneAndFollowLearnedScales() {
        var model = UnitReference.with(Reference.randomModel(visible: 3, hidden: 2, scale: 0.1, seed: 1), .gaussian)
        #expect(AnnealedImportanceSampling.baseParameters(model: model, means: [1, 2, 3], variances: [0.25, 1, 9]) == [1, 2, 3, 1, 1, 9])
        #expect(AnnealedImportanceSampling.baseParameters(model: model, means: [1, 2, 3], variances: nil) == [1, 2, 3])
        model.visibleLogVariance = [Float(log(4.0)), 0, Float(log(0.25))]
        let scaled = AnnealedImportanceSampling.baseParameters(model: model, means: [1, 2, 3], variances: [16, 9, 1])
        let expected: [Float] = [0.5, 2, 6, 4, 9, 4]
        #expect(zip(scaled, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(scaled)")
        let bernoulli = UnitReference.with(model, .bernoulli)
        #expect(AnnealedImportanceSampling.baseParameters(model: RBMModel(visibleCount: 3, hiddenCount: 2, weights: bernoulli.weights,
                                                                          visibleBias: [0, 0, 0], hiddenBias: [0, 0]),
                                                          means: [0.5, 0.5, 0.5], variances: [0.25, 0.25, 0.25]).count == 3)
    }
}
