import Foundation
import Testing
@testable import RBM

/// AIS's mode jumps (`AnnealingGuide`): the move against the distribution it must leave
/// invariant, computed here by enumeration; the estimates it gives on a two-mode categorical
/// model against the exact log Z; and its numbers against the worker count.
@Suite struct ModeJumpTests {
    /// log f_β(h) = β·cᵀh + Σ_g log Σ_s exp((1 − β)·b_A + β·(b + Wh)) for one-hot groups of
    /// `states`, in double precision from the model's numbers.
    static func logF(_ model: RBMModel, base: [Float], states: Int, _ h: [Float], beta: Double) -> Double {
        let input = UnitReference.visibleInput(model, h)
        var total = (0..<model.hiddenCount).reduce(0.0) { $0 + beta * Double(model.hiddenBias[$1]) * Double(h[$1]) }
        for first in stride(from: 0, to: model.visibleCount, by: states) {
            let logits = (first..<(first + states)).map {
                (1 - beta) * Double(base[$0]) + beta * (Double(model.visibleBias[$0]) + input[$0])
            }
            total += logSumExp(logits)
        }
        return total
    }

    /// A uniform in [0, 1) from 53 bits of item `index` of row `row`.
    static func uniform(_ stream: RandomStream, _ row: UInt32, _ index: UInt32) -> Double {
        Double(stream.bits64(row: row, index: index) >> 11) * 0x1p-53
    }

    /// Two modes behind a barrier: 50 groups of 4 states and 6 hidden units; W links state 0 of
    /// every group to every hidden unit (weight 1), the hidden biases c set so that h = 1 (every
    /// group in state 0) holds e³ times the mass of h = 0 (groups uniform), and every h between
    /// them tens of nats less (`margin`: log of that ratio). Gibbs chains from a uniform base stay
    /// at h = 0; the data, drawn from the model, are about 95 % in the other mode.
    static func twoModes(margin: Double = 3) -> RBMModel {
        let groups = 50, hidden = 6
        let c = Float((margin + Double(groups) * log(4.0) - Double(groups) * log(exp(Double(hidden)) + 3)) / Double(hidden))
        var weights = [Float](repeating: 0, count: groups * 4 * hidden)
        for g in 0..<groups { for j in 0..<hidden { weights[g * 4 * hidden + j] = 1 } }
        return RBMModel(visibleCount: groups * 4, hiddenCount: hidden, weights: weights,
                        visibleBias: [Float](repeating: 0, count: groups * 4), hiddenBias: [Float](repeating: c, count: hidden),
                        visibleUnits: .categorical(states: 4))
    }

    /// AIS and reverse AIS of `model` (base biases 0) with `annealing`, guided by the default
    /// pilot from `data` (`rows` rows) with seed `seed`.
    static func bothSides(_ annealing: AnnealedImportanceSampling, model: RBMModel, data: [Float], rows: Int, seed: UInt64)
        -> (AnnealedImportanceSampling.Estimate, AnnealedImportanceSampling.ReverseEstimate) {
        let base = [Float](repeating: 0, count: model.visibleCount)
        var guided = annealing
        guided.guide = AnnealingGuide.pilot(model: model, baseVisibleBias: base, visible: data, rows: rows, seed: seed, workers: 2)
        return (guided.estimate(model: model, baseVisibleBias: base),
                guided.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows))
    }

    /// `rows` exact draws v ~ p(v) of `model` (h by enumeration, then each group from its softmax).
    static func exactSamples(_ model: RBMModel, states: Int, rows: Int, seed: UInt64) -> [Float] {
        let hiddenStates = Reference.allStates(model.hiddenCount)
        let base = [Float](repeating: 0, count: model.visibleCount)
        let logs = hiddenStates.map { logF(model, base: base, states: states, $0, beta: 1) }
        let largest = logs.max()!
        let weights = logs.map { exp($0 - largest) }
        let total = weights.reduce(0, +)
        let stream = RandomStream(seed: seed, purpose: .evaluation, step: 11)
        var data: [Float] = []
        for row in 0..<rows {
            var u = Self.uniform(stream, UInt32(row), 0) * total, chosen = 0
            while chosen < weights.count - 1 && u >= weights[chosen] { u -= weights[chosen]; chosen += 1 }
            let input = UnitReference.visibleInput(model, hiddenStates[chosen])
            for (group, first) in stride(from: 0, to: model.visibleCount, by: states).enumerated() {
                let p = (first..<(first + states)).map { exp(Double(model.visibleBias[$0]) + input[$0]) }
                var v = Self.uniform(stream, UInt32(row), UInt32(1 + group)) * p.reduce(0, +), state = 0
                while state < states - 1 && v >= p[state] { v -= p[state]; state += 1 }
                data += (0..<states).map { Float($0 == state ? 1 : 0) }
            }
        }
        return data
    }

    /// Chains in p_β(h) (drawn here by enumeration) stay in p_β(h) after one jump, whose
    /// proposal — five components far from p_β — is accepted often enough for the test to see
    /// it: every state's frequency within 5σ of its probability, and each accepted chain's hWᵀ
    /// that of its new h.
    @Test func aJumpLeavesTheAnnealedHiddenMarginalInvariant() {
        let states = 3, beta: Float = 0.7
        let model = UnitReference.with(Reference.randomModel(visible: 9, hidden: 4, scale: 1.5, seed: 13), .categorical(states: states))
        let base = (0..<9).map { Float(-0.5 + 0.25 * Double($0 % 5)) }
        let hiddenStates = Reference.allStates(4)
        let logs = hiddenStates.map { Self.logF(model, base: base, states: states, $0, beta: Double(beta)) }
        let probabilities = logs.map { exp($0 - logSumExp(logs)) }
        let chains = 20_000
        let group = AnnealingChains(model: model, baseVisibleBias: base, chains: 0..<chains, layer: .visible)
        let draws = RandomStream(seed: 3, purpose: .evaluation, step: 2)
        var before = [Int](repeating: 0, count: chains)
        for r in 0..<chains {
            var u = Self.uniform(draws, UInt32(r), 0), state = 0
            while state < 15 && u >= probabilities[state] { u -= probabilities[state]; state += 1 }
            before[r] = state
            let input = UnitReference.visibleInput(model, hiddenStates[state])
            for j in 0..<4 { group.hidden[r * 4 + j] = hiddenStates[state][j] }
            for i in 0..<9 { group.visibleInput[r * 9 + i] = Float(input[i]) }
        }
        let guide = AnnealingGuide(hiddenInputs: (0..<20).map { Float(($0 * 7) % 5) - 2.0 }, hiddenCount: 4, every: 1, clip: 0.1)
        group.modeJump(beta: beta, proposal: guide.proposals.table(beta: beta),
                       stream: RandomStream(seed: 9, purpose: .annealedImportanceSampling, step: 1, substep: 3))
        var counts = [Int](repeating: 0, count: 16), moved = 0, consistent = true
        for r in 0..<chains {
            let state = (0..<4).reduce(0) { $0 | (group.hidden[r * 4 + $1] > 0.5 ? 1 << $1 : 0) }
            counts[state] += 1
            if state != before[r] { moved += 1 }
            let input = UnitReference.visibleInput(model, hiddenStates[state])
            if (0..<9).contains(where: { abs(Double(group.visibleInput[r * 9 + $0]) - input[$0]) > 1e-4 }) { consistent = false }
        }
        #expect(moved > chains / 10, "the jump should move chains (moved \(moved) of \(chains))")
        #expect(consistent, "an accepted chain carries hWᵀ of its new h")
        for state in 0..<16 {
            let p = probabilities[state], frequency = Double(counts[state]) / Double(chains)
            #expect(abs(frequency - p) < 5 * (p * (1 - p) / Double(chains)).squareRoot() + 1e-4,
                    "h = \(hiddenStates[state]): frequency \(frequency), p_β \(p)")
        }
    }

    /// On the two-mode model, from a uniform base, at the default schedule: plain Gibbs
    /// transitions leave AIS about 3 nats low (it never finds the heavier mode) and reverse AIS
    /// many nats high; with jumps guided by data drawn from the model both sides land within
    /// 0.5 nats of the exact log Z (AIS at or below it, reverse AIS at or above, within their noise).
    @Test func jumpsBringBothSidesToTheExactValueOnATwoModeModel() {
        let model = Self.twoModes()
        let rows = 200
        let data = Self.exactSamples(model, states: 4, rows: rows, seed: 5)
        let base = [Float](repeating: 0, count: model.visibleCount)
        let exact = model.exactLogPartitionFunction()
        let annealing = AnnealedImportanceSampling(runs: 100, seed: 3, workers: 2)
        let plainForward = annealing.estimate(model: model, baseVisibleBias: base)
        let plainReverse = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows)
        let (forward, reverse) = Self.bothSides(annealing, model: model, data: data, rows: rows, seed: 3)
        let summary = "exact \(exact); with jumps AIS \(forward.logPartitionFunction) ± \(forward.standardError), reverse "
            + "\(reverse.logPartitionFunction) ± \(reverse.standardError); plain AIS \(plainForward.logPartitionFunction), "
            + "plain reverse \(plainReverse.logPartitionFunction)"
        #expect(plainForward.logPartitionFunction < exact - 1 && plainReverse.logPartitionFunction > exact + 1,
                "the model should defeat plain transitions: \(summary)")
        #expect(forward.logPartitionFunction <= exact + 3 * forward.standardError + 0.02, "\(summary)")
        #expect(reverse.logPartitionFunction >= exact - 3 * reverse.standardError - 0.02, "\(summary)")
        #expect(abs(forward.logPartitionFunction - exact) < 0.5 && abs(reverse.logPartitionFunction - exact) < 0.5, "\(summary)")
    }

    /// The guide, AIS and reverse AIS with jumps draw the same numbers on 1, 2 or 3 workers.
    @Test func jumpsAreTheSameForAnyWorkerCount() {
        let model = Self.twoModes()
        let data = Self.exactSamples(model, states: 4, rows: 70, seed: 6)
        let base = [Float](repeating: 0, count: model.visibleCount)
        func run(_ workers: Int) -> (AnnealingGuide, AnnealedImportanceSampling.Estimate, AnnealedImportanceSampling.ReverseEstimate) {
            var annealing = AnnealedImportanceSampling(runs: 60, betaCount: 300, seed: 2, workers: workers)
            let guide = AnnealingGuide.pilot(model: model, baseVisibleBias: base, visible: data, rows: 70, components: 60, upward: 40,
                                             pilotSteps: 20, seed: 2, workers: workers, every: 2)
            annealing.guide = guide
            return (guide, annealing.estimate(model: model, baseVisibleBias: base),
                    annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: 70))
        }
        let one = run(1), two = run(2), three = run(3)
        #expect(one.0.bands == two.0.bands && one.0.bands == three.0.bands)
        #expect(one.1 == two.1 && one.1 == three.1)
        #expect(one.2 == two.2 && one.2 == three.2)
        #expect(one.0.count == 100 && Set(one.1.logWeights).count > 50)
    }

    /// The categorical kinds' fast `annealedSummedOut` (softmax, then t_k − log p_k) against the
    /// sum of log-sum-exps in double precision, at several β, up to one constant of β per call.
    @Test func categoricalAnnealedSummedOutMatchesTheDoublePrecisionSum() {
        let units = VisibleUnits.categorical(states: 5)
        let count = 5 * 300, rows = 4
        let stream = RandomStream(seed: 8, purpose: .evaluation, step: 4)
        let input = (0..<(rows * count)).map { Float(6 * stream.normal(row: 0, index: UInt32($0))) }
        let base = (0..<count).map { Float(stream.normal(row: 1, index: UInt32($0))) }
        let modelBias = (0..<count).map { Float(2 * stream.normal(row: 2, index: UInt32($0))) }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count)
        defer { scratch.deallocate() }
        for beta: Float in [0, 0.3, 0.9, 1] {
            var values = [Double](repeating: 0, count: rows)
            input.withUnsafeBufferPointer { a in
                units.annealedSummedOut(a.baseAddress!, rows: rows, count: count, beta: beta, base: base, modelBias: modelBias,
                                        scratch: scratch, into: &values)
            }
            for r in 0..<rows {
                var expected = 0.0
                for first in stride(from: 0, to: count, by: 5) {
                    expected += logSumExp((first..<(first + 5)).map {
                        Double(beta * input[r * count + $0] + ((1 - beta) * base[$0] + beta * modelBias[$0]))
                    })
                }
                #expect(abs(values[r] - expected) < 1e-6 * max(1, abs(expected)) + 1e-3, "β \(beta), row \(r): \(values[r]) vs \(expected)")
            }
        }
    }
}

extension ModeJumpTests {
    /// `jumping(every:)` changes only how often the guide jumps: the same tables and guide states.
    @Test func aGuideJumpingMoreOftenSharesItsTables() {
        let guide = AnnealingGuide(hiddenInputs: (0..<20).map { Float(($0 * 7) % 5) - 2.0 }, hiddenCount: 4)
        let often = guide.jumping(every: 1)
        #expect(guide.every == AnnealingGuide.defaultEvery && often.every == 1)
        #expect((1...8).allSatisfy { often.proposals.jumps(at: $0) })
        #expect((1...8).filter { guide.proposals.jumps(at: $0) } == [4, 8])
        #expect(often.proposals.tables.count == guide.proposals.tables.count && often.bands == guide.bands)
        #expect(often.proposals.tables.indices.allSatisfy {
            often.proposals.tables[$0].probabilities == guide.proposals.tables[$0].probabilities
        })
    }
}

extension ModeJumpTests {
    /// The pilot's bands: band b holds states at β_b = (b + 1)/bands, the data's chains' at β = 1
    /// the same states a one-band pilot gives (the same streams, stepped down the path after it),
    /// followed by the climbing chains'; each level reads the band nearest its β̃, and a lower
    /// band's states carry less of the weights (|x − c| smaller on average: the visible layer
    /// nearer the base).
    @Test func bandsStepDownThePathFromTheStatesAtBetaOne() {
        let model = Self.twoModes()
        let data = Self.exactSamples(model, states: 4, rows: 60, seed: 4)
        let base = [Float](repeating: 0, count: model.visibleCount)
        let nh = model.hiddenCount
        let one = AnnealingGuide.pilot(model: model, baseVisibleBias: base, visible: data, rows: 60, upward: 0, pilotSteps: 30,
                                       bands: 1, seed: 5)
        let four = AnnealingGuide.pilot(model: model, baseVisibleBias: base, visible: data, rows: 60, upward: 20, pilotSteps: 30,
                                        bands: 4, bandSteps: 40, seed: 5)
        let climbing = AnnealingGuide.climb(model: model, baseVisibleBias: base, chains: 20, pilotSteps: 30, bands: 4,
                                            bandSteps: 40, seed: 5, workers: 1)
        #expect(one.count == 60 && four.count == 80)
        #expect(four.bands.count == 4 && Array(four.bands[3][..<(60 * nh)]) == one.bands[0])
        #expect((0..<4).allSatisfy { Array(four.bands[$0][(60 * nh)...]) == climbing[$0] })
        #expect([0, 12, 13, 37, 38, 50, 62, 63, 87, 88, 100].map { AnnealingGuide.band(of: $0, bands: 4) }
                == [0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3])
        #expect((0...100).allSatisfy { AnnealingGuide.band(of: $0, bands: 1) == 0 })
        func spread(_ band: [Float]) -> Double {
            var total = 0.0
            for (index, x) in band.enumerated() { total += abs(Double(x - model.hiddenBias[index % model.hiddenCount])) }
            return total / Double(band.count)
        }
        #expect(spread(four.bands[0]) < spread(four.bands[3]), "β = 0.25: \(spread(four.bands[0])), β = 1: \(spread(four.bands[3]))")
    }
}

extension ModeJumpTests {
    /// Where the data miss a mode: the two-mode model tilted so that the mode the data never
    /// visit (h = 0, groups uniform) holds e² times the other's mass, and data only from the
    /// other (every group in state 0). Guided by the data alone, reverse AIS cannot reach the
    /// heavier mode from the data and sits nats above the exact log Z; the chains that climb
    /// from the base find it, and both sides land within half a nat.
    @Test func climbingChainsGuideReverseAISToTheModeTheDataMiss() {
        let model = Self.twoModes(margin: -2)
        let groups = model.visibleCount / 4, rows = 100
        let data = [Float]((0..<(rows * groups)).map { _ -> [Float] in [1, 0, 0, 0] }.joined())
        let base = [Float](repeating: 0, count: model.visibleCount)
        let exact = model.exactLogPartitionFunction()
        var annealing = AnnealedImportanceSampling(runs: 50, betaCount: 4000, seed: 4, workers: 2)
        annealing.guide = AnnealingGuide.pilot(model: model, baseVisibleBias: base, visible: data, rows: rows, upward: 0,
                                               seed: 4, workers: 2)
        let dataOnly = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows)
        let (forward, reverse) = Self.bothSides(annealing, model: model, data: data, rows: rows, seed: 4)
        let summary = "exact \(exact); data-only guide: reverse \(dataOnly.logPartitionFunction); with climbing chains: AIS "
            + "\(forward.logPartitionFunction) ± \(forward.standardError), reverse \(reverse.logPartitionFunction) ± \(reverse.standardError)"
        #expect(dataOnly.logPartitionFunction > exact + 1, "the data alone should not guide reverse AIS there: \(summary)")
        #expect(abs(forward.logPartitionFunction - exact) < 0.5 && abs(reverse.logPartitionFunction - exact) < 0.5, "\(summary)")
    }
}
