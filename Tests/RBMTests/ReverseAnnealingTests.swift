import Foundation
import Testing
import RBM

/// Reverse AIS (RAISE) against quantities computed here by enumeration: the probability q(v*)
/// of the annealed generative model it estimates, and the exact log Z it brackets with AIS.
@Suite struct ReverseAnnealingTests {
    /// Everything about a tiny model's annealing path in double precision, by enumerating its
    /// visible and hidden states: the transitions T_β, the unnormalised f_β and q(v*).
    struct AnnealedPath {
        let model: RBMModel
        let baseBias: [Double]
        let betas: [Double]
        let states: [[Float]]
        let categoricalStates: Int?
        /// Binomial units: the trials n (values 0 … n, base measure log C(n, v)).
        var trials: Int? = nil

        var hiddenStates: [[Float]] { Reference.allStates(model.hiddenCount) }

        func hiddenInput(_ v: [Float]) -> [Double] {
            (0..<model.hiddenCount).map { j in
                (0..<model.visibleCount).reduce(Double(model.hiddenBias[j])) {
                    $0 + Double(v[$1]) * Double(model.weights[$1 * model.hiddenCount + j])
                }
            }
        }

        /// log f_β(v) = ((1 − β) b_A + β b_B)ᵀv + Σⱼ log(1 + e^(β xⱼ)) (binary and one-hot units).
        func logF(_ v: [Float], _ beta: Double) -> Double {
            let visible = (0..<model.visibleCount).reduce(0.0) {
                $0 + ((1 - beta) * baseBias[$1] + beta * Double(model.visibleBias[$1])) * Double(v[$1])
            }
            let baseMeasure = trials.map { n in v.reduce(0.0) { $0 + logChoose(n, Int($1)) } } ?? 0
            return visible + baseMeasure + hiddenInput(v).reduce(0.0) { $0 + log(1 + exp(beta * $1)) }
        }

        /// P_β(v' | h) at visible inputs (1 − β) b_A + β (b_B + Wh).
        func visibleProbability(_ next: [Float], given h: [Float], beta: Double) -> Double {
            let wh = UnitReference.visibleInput(model, h)
            let input = (0..<model.visibleCount).map { (1 - beta) * baseBias[$0] + beta * (Double(model.visibleBias[$0]) + wh[$0]) }
            if let q = categoricalStates {
                return stride(from: 0, to: model.visibleCount, by: q).reduce(1.0) { product, first in
                    let normaliser = (first..<(first + q)).reduce(0.0) { $0 + exp(input[$1]) }
                    let chosen = (first..<(first + q)).first { next[$0] > 0.5 }!
                    return product * exp(input[chosen]) / normaliser
                }
            }
            if let n = trials {
                return (0..<model.visibleCount).reduce(1.0) { product, i in
                    let p = Reference.sigmoid(input[i]), k = Int(next[i])
                    return product * exp(logChoose(n, k)) * pow(p, Double(k)) * pow(1 - p, Double(n - k))
                }
            }
            return (0..<model.visibleCount).reduce(1.0) { $0 * (next[$1] > 0.5 ? Reference.sigmoid(input[$1]) : 1 - Reference.sigmoid(input[$1])) }
        }

        func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }

        /// T_β[a][b] = P(v_b | v_a) = Σ_h P_β(h | v_a) P_β(v_b | h).
        func transition(_ beta: Double) -> [[Double]] {
            states.map { from in
                let x = hiddenInput(from)
                let hiddenProbabilities = hiddenStates.map { h in
                    (0..<h.count).reduce(1.0) { $0 * (h[$1] > 0.5 ? Reference.sigmoid(beta * x[$1]) : 1 - Reference.sigmoid(beta * x[$1])) }
                }
                return states.map { to in
                    zip(hiddenStates, hiddenProbabilities).reduce(0.0) { $0 + $1.1 * visibleProbability(to, given: $1.0, beta: beta) }
                }
            }
        }

        /// The mode jump's kernel on h at β, with guide states `guide` (n × n_hidden, x = c + Wᵀv):
        /// an independence Metropolis–Hastings move toward f_β(h) = e^(β·cᵀh) Σ_v e^(V_β(v) + β·vᵀWh)
        /// from the mixture Q(h) = (1/n) Σₙ Πⱼ pₙⱼ^hⱼ (1 − pₙⱼ)^(1−hⱼ), pₙⱼ = clip(σ(β·xₙⱼ), ε, 1 − ε)
        /// rounded to single precision as the draw uses it. J[a][b] = P(h_b | h_a).
        func jumpKernel(_ beta: Double, guide: [[Double]], clip: Double) -> [[Double]] {
            let hs = hiddenStates
            let f = hs.map { h -> Double in
                var total = 0.0
                for v in states {
                    let x = hiddenInput(v)
                    var logJoint = logF(v, beta)
                    for j in 0..<h.count { logJoint += beta * x[j] * Double(h[j]) - log(1 + exp(beta * x[j])) }
                    total += exp(logJoint)
                }
                return total
            }
            let q = hs.map { h in
                guide.reduce(0.0) { sum, x in
                    sum + (0..<h.count).reduce(1.0) { product, j in
                        let p = Double(Float(min(1 - clip, max(clip, Reference.sigmoid(beta * x[j])))))
                        return product * (h[j] > 0.5 ? p : 1 - p)
                    }
                } / Double(guide.count)
            }
            return hs.indices.map { a in
                var row = hs.indices.map { b in b == a ? 0 : q[b] * min(1, f[b] * q[a] / (f[a] * q[b])) }
                row[a] = 1 - row.reduce(0, +)
                return row
            }
        }

        /// q(v*) with a jump between the halves of every transition: v → h ~ P_β(h | v), h → h' by
        /// the jump, v' ~ P_β(v' | h').
        func annealedProbabilityWithJumps(of target: Int, guide: [[Double]], clip: Double) -> Double {
            let hs = hiddenStates
            let baseWeights = states.map { v in exp(logF(v, 0)) }
            var distribution = baseWeights.map { $0 / baseWeights.reduce(0, +) }
            for beta in betas.dropFirst() {
                let jump = jumpKernel(beta, guide: guide, clip: clip)
                var hidden = hs.indices.map { b in states.indices.reduce(0.0) { $0 + distribution[$1] * hiddenProbability(hs[b], given: states[$1], beta: beta) } }
                hidden = hs.indices.map { b in hs.indices.reduce(0.0) { $0 + hidden[$1] * jump[$1][b] } }
                distribution = states.indices.map { v in hs.indices.reduce(0.0) { $0 + hidden[$1] * visibleProbability(states[v], given: hs[$1], beta: beta) } }
            }
            return distribution[target]
        }

        /// q(v*): v₁ ~ p_A, then T_{β₁} … T_{β_K}, by multiplying the transition matrices.
        func annealedProbability(of target: Int) -> Double {
            let baseWeights = states.map { v in exp(logF(v, 0)) }
            var distribution = baseWeights.map { $0 / baseWeights.reduce(0, +) }
            for beta in betas.dropFirst() {
                let t = transition(beta)
                distribution = states.indices.map { b in states.indices.reduce(0.0) { $0 + distribution[$1] * t[$1][b] } }
            }
            return distribution[target]
        }

        /// P_β(h | v) of the path: σ(β·x) unit by unit.
        func hiddenProbability(_ h: [Float], given v: [Float], beta: Double) -> Double {
            let x = hiddenInput(v)
            return (0..<h.count).reduce(1.0) { $0 * (h[$1] > 0.5 ? Reference.sigmoid(beta * x[$1]) : 1 - Reference.sigmoid(beta * x[$1])) }
        }

        /// q(v*) of the chains in the hidden layer: h₁ uniform, h → v → h transitions at β₁ … β_K,
        /// then v* ~ P(v | h) of the model.
        func annealedProbabilityThroughHidden(of target: Int) -> Double {
            let hs = hiddenStates
            var distribution = hs.map { _ in 1 / Double(hs.count) }
            for beta in betas.dropFirst() {
                let t = hs.map { from in
                    hs.map { to in states.reduce(0.0) { $0 + visibleProbability($1, given: from, beta: beta) * hiddenProbability(to, given: $1, beta: beta) } }
                }
                distribution = hs.indices.map { b in hs.indices.reduce(0.0) { $0 + distribution[$1] * t[$1][b] } }
            }
            return hs.indices.reduce(0.0) { $0 + distribution[$1] * visibleProbability(states[target], given: hs[$1], beta: 1) }
        }

        /// E[f_K(v*)/Z_A · Πₖ f_{k−1}(s)/f_k(s)] over the reverse chain from v*, with each ratio
        /// taken at the state after T_k (`afterStep`) or before it.
        func expectedReverseWeight(from target: Int, afterStep: Bool) -> Double {
            let logZA = log(states.reduce(0.0) { $0 + exp(logF($1, 0)) })
            var mass = states.indices.map { $0 == target ? 1.0 : 0.0 }
            for k in stride(from: betas.count - 1, through: 1, by: -1) {
                let t = transition(betas[k])
                let ratio = states.map { exp(logF($0, betas[k - 1]) - logF($0, betas[k])) }
                mass = states.indices.map { next in
                    states.indices.reduce(0.0) { sum, current in
                        sum + mass[current] * t[current][next] * (afterStep ? ratio[next] : ratio[current])
                    }
                }
            }
            return exp(logF(states[target], 1) - logZA) * mass.reduce(0, +)
        }
    }

    /// Reverse AIS's exp(−F(v*) − L) averages to q(v*) of the annealed model (the estimator of
    /// Upadhya & Sastry's eq. 10), computed by enumeration — and the other reading of the ratios
    /// (taken before each step) has a different mean, which the test could tell apart.
    @Test(arguments: ["bernoulli", "categorical", "binomial"], [AnnealedImportanceSampling.Layer.visible, .hidden])
    func reverseWeightsAverageToTheAnnealedModelsProbability(kind: String, layer: AnnealedImportanceSampling.Layer) {
        let categorical = kind == "categorical", binomial = kind == "binomial"
        let units: VisibleUnits = categorical ? .categorical(states: 3) : (binomial ? .binomial(trials: 2) : .bernoulli)
        let states = categorical ? UnitReference.oneHotStates(variables: 2, states: 3)
            : (binomial ? (0..<9).map { [Float($0 / 3), Float($0 % 3)] } : Reference.allStates(4))
        let model = UnitReference.with(Reference.randomModel(visible: states[0].count, hidden: 3, scale: 1.2, seed: 31), units)
        let baseBias = (0..<model.visibleCount).map { Float(-0.6 + 0.3 * Double($0 % 5)) }
        let betas = [0, 0.35, 0.7, 1.0]
        let path = AnnealedPath(model: model, baseBias: baseBias.map(Double.init), betas: betas, states: states,
                                categoricalStates: categorical ? 3 : nil, trials: binomial ? 2 : nil)
        let target = states.count - 2
        let chains = 40_000
        var annealing = AnnealedImportanceSampling(runs: chains, betaCount: 3, seed: 5, workers: 2)
        annealing.betas = betas
        annealing.layer = layer
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: baseBias,
                                                visible: Array((0..<chains).map { _ in states[target] }.joined()), rows: chains)
        let freeEnergy = -path.logF(states[target], 1)   // F(v*), with binomial units' base measure
        let weights = reverse.pointLogPartitions.map { exp(-freeEnergy - $0) }
        let mean = weights.reduce(0, +) / Double(chains)
        let standardError = (weights.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(chains - 1) / Double(chains)).squareRoot()

        if layer == .hidden {
            let q = path.annealedProbabilityThroughHidden(of: target)
            #expect(abs(mean - q) < 4 * standardError, "\(kind), hidden layer: mean weight \(mean) ± \(standardError), q(v*) \(q)")
            #expect(abs(path.annealedProbability(of: target) - q) > 8 * standardError, "the two layers' q should differ here")
            return
        }
        let q = path.annealedProbability(of: target)
        let afterStep = path.expectedReverseWeight(from: target, afterStep: true)
        let beforeStep = path.expectedReverseWeight(from: target, afterStep: false)
        #expect(abs(afterStep - q) < 1e-9 * q, "\(kind): the derivation, by enumeration: \(afterStep) vs q \(q)")
        #expect(abs(mean - q) < 4 * standardError, "\(kind): mean weight \(mean) ± \(standardError), q(v*) \(q)")
        #expect(abs(beforeStep - q) > 8 * standardError, "\(kind): the other reading \(beforeStep) is too close to q \(q) to tell apart")
    }

    /// With mode jumps after every transition (visible layer, categorical units), reverse AIS's
    /// exp(−F(v*) − L) still averages to q(v*) of the annealed model whose transitions jump,
    /// computed by enumeration with the jump's kernel — and that q differs from the q of Gibbs
    /// steps alone by more than the test's noise, so the jumps are what it checks. The pooled
    /// estimate rests on this: with many chains per point it tends to log q, not to log p.
    @Test func reverseWeightsWithModeJumpsAverageToTheAnnealedModelsProbability() {
        let states = UnitReference.oneHotStates(variables: 2, states: 3)
        let model = UnitReference.with(Reference.randomModel(visible: 6, hidden: 3, scale: 1.5, seed: 31), .categorical(states: 3))
        let baseBias = (0..<6).map { Float(-0.6 + 0.3 * Double($0 % 5)) }
        let betas = [0, 0.35, 0.7, 1.0]
        let path = AnnealedPath(model: model, baseBias: baseBias.map(Double.init), betas: betas, states: states, categoricalStates: 3)
        let guideInputs: [Float] = [2.5, -2.0, 0.5, -1.5, 3.0, -2.5]   // two components of 3 hidden units
        let guide = [Array(guideInputs[0..<3]), Array(guideInputs[3..<6])].map { $0.map(Double.init) }
        let target = states.count - 2
        let chains = 40_000
        var annealing = AnnealedImportanceSampling(runs: chains, betaCount: 3, seed: 7, workers: 2)
        annealing.betas = betas
        annealing.layer = .visible
        annealing.guide = AnnealingGuide(hiddenInputs: guideInputs, hiddenCount: 3, every: 1, clip: 0.1)
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: baseBias,
                                                visible: Array((0..<chains).map { _ in states[target] }.joined()), rows: chains)
        let freeEnergy = -path.logF(states[target], 1)
        let weights = reverse.pointLogPartitions.map { exp(-freeEnergy - $0) }
        let mean = weights.reduce(0, +) / Double(chains)
        let standardError = (weights.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(chains - 1) / Double(chains)).squareRoot()
        let q = path.annealedProbabilityWithJumps(of: target, guide: guide, clip: 0.1)
        let withoutJumps = path.annealedProbability(of: target)
        #expect(abs(mean - q) < 4 * standardError, "mean weight \(mean) ± \(standardError), q(v*) with jumps \(q)")
        #expect(abs(withoutJumps - q) > 8 * standardError, "q with jumps \(q) and without \(withoutJumps) should differ here")
    }

    /// Random 24 × 10 models of every unit type: with the default schedule, AIS's log Z lies at
    /// or below the exact one and reverse AIS's at or above it (each within its noise), and both
    /// within 0.1 nats.
    @Test(arguments: ["bernoulli", "gaussian", "categorical", "binomial"])
    func theBracketHoldsTheExactLogPartitionFunction(kind: String) {
        let units: VisibleUnits = switch kind {
        case "gaussian": .gaussian
        case "categorical": .categorical(states: 4)
        case "binomial": .binomial(trials: 3)
        default: .bernoulli
        }
        let model = UnitReference.with(Reference.randomModel(visible: 24, hidden: 10, scale: 0.4, seed: 17), units)
        let rows = 200
        let stream = RandomStream(seed: 4, purpose: .evaluation, step: 9)
        let data: [Float] = switch kind {
        case "gaussian": (0..<(rows * 24)).map { Float(stream.normal(row: 0, index: UInt32($0))) }
        case "categorical": UnitReference.categoricalData(rows: rows, variables: 6, states: 4, seed: 4)
        case "binomial": (0..<(rows * 24)).map { Float(Int(3.999 * abs(stream.normal(row: 1, index: UInt32($0))) / 2.5) % 4) }
        default: Reference.randomBinary(rows: rows, columns: 24, seed: 4)
        }
        let marginals: [Float] = switch kind {
        case "gaussian": [Float](repeating: 0, count: 24)
        case "categorical": [Float](repeating: 0.25, count: 24)
        case "binomial": [Float](repeating: 0.4, count: 24)
        default: [Float](repeating: 0.5, count: 24)
        }
        let exact = model.exactLogPartitionFunction()
        let annealing = AnnealedImportanceSampling(runs: 100, seed: 3, workers: 2)
        let base = AnnealedImportanceSampling.baseBias(units: units, marginals: marginals)
        let forward = annealing.estimate(model: model, baseVisibleBias: base)
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows)
        #expect(forward.logPartitionFunction <= exact + 3 * forward.standardError + 0.01, "\(kind): AIS \(forward.logPartitionFunction), exact \(exact)")
        #expect(reverse.logPartitionFunction >= exact - 3 * reverse.standardError - 0.01, "\(kind): reverse \(reverse.logPartitionFunction), exact \(exact)")
        #expect(abs(forward.logPartitionFunction - exact) < 0.1 && abs(reverse.logPartitionFunction - exact) < 0.1,
                "\(kind): AIS \(forward.logPartitionFunction), reverse \(reverse.logPartitionFunction), exact \(exact)")
        #expect(reverse.points == (0..<100).map { $0 * 2 }, "100 points spread evenly over 200 rows")
    }

    /// A random 20 × 12 Bernoulli model with large weights (scale 1.5), `rows` random binary rows,
    /// zero base biases, and its exact log Z: short schedules leave its chains far from equilibrium.
    static func largeWeightsModel(rows: Int) -> (model: RBMModel, data: [Float], base: [Float], exact: Double) {
        let model = Reference.randomModel(visible: 20, hidden: 12, scale: 1.5, seed: 8)
        return (model, Reference.randomBinary(rows: rows, columns: 20, seed: 3), [Float](repeating: 0, count: 20),
                model.exactLogPartitionFunction())
    }

    /// With a schedule far too short, the two sides part — AIS below the exact log Z, reverse
    /// AIS above it — which is what the bracket's width is there to show.
    @Test func aShortScheduleWidensTheBracketAroundTheTruth() {
        let (model, data, base, exact) = Self.largeWeightsModel(rows: 100)
        let annealing = AnnealedImportanceSampling(runs: 100, betaCount: 10, seed: 2, workers: 2)
        let forward = annealing.estimate(model: model, baseVisibleBias: base)
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: 100)
        #expect(forward.logPartitionFunction < exact - 0.2 && reverse.logPartitionFunction > exact + 0.2,
                "AIS \(forward.logPartitionFunction), exact \(exact), reverse \(reverse.logPartitionFunction)")
    }

    @Test func reverseAnnealingIsTheSameForAnyWorkerCount() {
        let model = UnitReference.with(Reference.randomModel(visible: 12, hidden: 7, scale: 1.0, seed: 4), .categorical(states: 3))
        let data = UnitReference.categoricalData(rows: 70, variables: 4, states: 3, seed: 6)
        let base = [Float](repeating: 0, count: 12)
        func run(_ workers: Int) -> AnnealedImportanceSampling.ReverseEstimate {
            AnnealedImportanceSampling(runs: 60, betaCount: 300, seed: 2, workers: workers)
                .reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: 70)
        }
        let one = run(1)
        #expect(one == run(3) && one == run(2))
        #expect(Set(one.pointLogPartitions).count > 50, "each chain draws its own numbers")
    }

    /// With M chains per point, chain i starts at point ⌊i / M⌋ and reads row i of the streams —
    /// the chains of one chain per point over the data with each point's row repeated M times —
    /// and a point's L is −log (1/M) Σ exp(−Lₘ) of its chains', for any number of workers.
    @Test func severalChainsPerPointAreOneChainPerRepeatedRowPooledByLogMeanExp() {
        let model = UnitReference.with(Reference.randomModel(visible: 12, hidden: 7, scale: 1.0, seed: 4), .categorical(states: 3))
        let rows = 15, perPoint = 4, columns = 12
        let data = UnitReference.categoricalData(rows: rows, variables: 4, states: 3, seed: 6)
        let repeated = (0..<(rows * perPoint)).flatMap { Array(data[($0 / perPoint * columns)..<($0 / perPoint * columns + columns)]) }
        let base = [Float](repeating: 0, count: columns)
        func pooled(workers: Int) -> AnnealedImportanceSampling.ReverseEstimate {
            var annealing = AnnealedImportanceSampling(runs: rows * perPoint, betaCount: 200, seed: 2, workers: workers)
            annealing.chainsPerPoint = perPoint
            return annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows)
        }
        let single = AnnealedImportanceSampling(runs: rows * perPoint, betaCount: 200, seed: 2, workers: 2)
            .reverseEstimate(model: model, baseVisibleBias: base, visible: repeated, rows: rows * perPoint)
        let estimate = pooled(workers: 1)
        #expect(estimate == pooled(workers: 2) && estimate == pooled(workers: 3))
        #expect(estimate.points == Array(0..<rows) && estimate.chainsPerPoint == perPoint)
        #expect(estimate.chainLogPartitions == single.pointLogPartitions)
        for point in 0..<rows {
            let chains = single.pointLogPartitions[(point * perPoint)..<((point + 1) * perPoint)]
            let expected = -log(chains.map { exp(-$0) }.reduce(0, +) / Double(perPoint))
            #expect(abs(estimate.pointLogPartitions[point] - expected) < 1e-9 * abs(expected), "point \(point)")
            #expect(estimate.pointLogPartitions[point] <= chains.reduce(0, +) / Double(perPoint) + 1e-12,
                    "a log-mean-exp of −L is at least the mean of −L")
        }
        let mean = estimate.pointLogPartitions.reduce(0, +) / Double(rows)
        #expect(abs(estimate.logPartitionFunction - mean) < 1e-12)
    }

    /// Where one chain's log p̂ varies by nats (a 20 × 12 model with large weights, a schedule of
    /// 30 β), one chain per point sits well above the exact log Z (Jensen's gap), and the same
    /// number of chains pooled 25 to a point sits nearer it — still a stochastic bound, at or
    /// above it within its noise.
    @Test func poolingChainsPerPointNarrowsJensensGap() {
        let (model, data, base, exact) = Self.largeWeightsModel(rows: 1_000)
        var annealing = AnnealedImportanceSampling(runs: 1_000, betaCount: 30, seed: 2, workers: 2)
        let single = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: 1_000)
        annealing.chainsPerPoint = 25
        let pooled = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: 1_000)
        let summary = "exact \(exact), one chain per point \(single.logPartitionFunction) ± \(single.standardError), "
            + "25 per point \(pooled.logPartitionFunction) ± \(pooled.standardError)"
        #expect(single.points.count == 1_000 && pooled.points.count == 40, "\(single.points.count), \(pooled.points.count)")
        #expect(single.logPartitionFunction - exact > 1, "\(summary)")
        #expect(pooled.logPartitionFunction - exact < (single.logPartitionFunction - exact) / 2, "\(summary)")
        #expect(pooled.logPartitionFunction >= exact - 3 * pooled.standardError, "\(summary)")
    }

    /// Rounds pooled (a second look's samples added to the first round's): AIS's log Ẑ is log Z_A
    /// plus the log of the mean of every run's w, and reverse AIS's L of a point the log-mean-exp
    /// of −L over every round's chains from it (written out here); each side lies between its
    /// better round and that less log 2, and the pooled pair of two short-schedule rounds stays on
    /// its side of the exact log Z (AIS below, reverse above, within their noise).
    @Test func poolingRoundsTakesEveryRunAndStaysWithinLogTwoOfTheBetterRound() {
        let (model, data, base, exact) = Self.largeWeightsModel(rows: 200)
        func round(seed: UInt64, betas: Int) -> (AnnealedImportanceSampling.Estimate, AnnealedImportanceSampling.ReverseEstimate) {
            var annealing = AnnealedImportanceSampling(runs: 100, betaCount: betas, seed: seed, workers: 2)
            annealing.chainsPerPoint = 10
            return (annealing.estimate(model: model, baseVisibleBias: base),
                    annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: 200))
        }
        let first = round(seed: 2, betas: 40), second = round(seed: 9, betas: 60)
        let forward = AnnealedImportanceSampling.Estimate.pooled([first.0, second.0])
        let reverse = AnnealedImportanceSampling.ReverseEstimate.pooled([first.1, second.1])

        let weights = first.0.logWeights + second.0.logWeights
        let largest = weights.max()!
        let expectedForward = first.0.baseLogPartitionFunction + largest
            + log(weights.map { exp($0 - largest) }.reduce(0, +) / Double(weights.count))
        #expect(abs(forward.logPartitionFunction - expectedForward) < 1e-9 * abs(expectedForward))
        #expect(forward.logWeights.count == 200)
        let better = max(first.0.logPartitionFunction, second.0.logPartitionFunction)
        #expect(forward.logPartitionFunction <= better + 1e-9 && forward.logPartitionFunction >= better - log(2) - 1e-9)

        #expect(reverse.points == first.1.points && reverse.chainsPerPoint == 20)
        var expectedPoints: [Double] = []
        for point in first.1.points.indices {
            let chains = Array(first.1.chainLogPartitions[(point * 10)..<(point * 10 + 10)])
                + Array(second.1.chainLogPartitions[(point * 10)..<(point * 10 + 10)])
            let smallest = chains.min()!
            let value = smallest - log(chains.map { exp(smallest - $0) }.reduce(0, +) / 20)
            expectedPoints.append(value)
            let betterPoint = min(first.1.pointLogPartitions[point], second.1.pointLogPartitions[point])
            #expect(value <= betterPoint + log(2) + 1e-9 && value >= betterPoint - 1e-9, "point \(point)")
        }
        for (got, expected) in zip(reverse.pointLogPartitions, expectedPoints) { #expect(abs(got - expected) < 1e-9 * abs(expected)) }
        #expect(abs(reverse.logPartitionFunction - expectedPoints.reduce(0, +) / Double(expectedPoints.count)) < 1e-9)

        let summary = "exact \(exact); AIS \(first.0.logPartitionFunction), \(second.0.logPartitionFunction) → "
            + "\(forward.logPartitionFunction) ± \(forward.standardError); reverse \(first.1.logPartitionFunction), "
            + "\(second.1.logPartitionFunction) → \(reverse.logPartitionFunction) ± \(reverse.standardError)"
        #expect(forward.logPartitionFunction <= exact + 3 * forward.standardError, "\(summary)")
        #expect(reverse.logPartitionFunction >= exact - 3 * reverse.standardError, "\(summary)")
        // One round pools to itself.
        #expect(AnnealedImportanceSampling.Estimate.pooled([first.0]) == first.0)
        #expect(AnnealedImportanceSampling.ReverseEstimate.pooled([first.1]) == first.1)
    }
}

/// The bracket on trained models: structured data (bars on an 8 × 8 grid, in each kind's
/// values), 12 hidden units trained by PCD, so the weights are far from random; AIS and reverse
/// AIS at the default schedule against log Z by enumerating the 2¹² hidden states.
@Suite struct TrainedModelBracketTests {
    static func bars(kind: String, rows: Int) -> (data: [Float], units: VisibleUnits, columns: Int) {
        let pixels = 64
        var intensities = [[Float]](repeating: [Float](repeating: 0, count: pixels), count: rows)
        for r in 0..<rows {
            let bar = r % 8, horizontal = r % 16 < 8
            for i in 0..<pixels where horizontal ? i / 8 == bar : i % 8 == bar { intensities[r][i] = 1 }
            if r % 3 == 0 { for i in 0..<pixels where i / 8 == 7 - bar { intensities[r][i] = max(intensities[r][i], 0.5) } }
        }
        switch kind {
        case "gaussian":
            let noise = RandomStream(seed: 12, purpose: .evaluation, step: 5)
            let data = intensities.enumerated().flatMap { r, row in
                row.enumerated().map { i, x in 2 * x - 0.6 + Float(0.3 * noise.normal(row: UInt32(r), index: UInt32(i))) }
            }
            return (data, .gaussian, pixels)
        case "categorical":
            // 16 variables (2 × 2 blocks) of 4 levels: the block's number of lit pixels, capped at 3.
            let data = intensities.flatMap { row in
                (0..<16).flatMap { block -> [Float] in
                    let (y, x) = (block / 4 * 2, block % 4 * 2)
                    let lit = min(3, [0, 1, 8, 9].filter { row[(y * 8 + x) + $0] > 0 }.count)
                    return (0..<4).map { Float($0 == lit ? 1 : 0) }
                }
            }
            return (data, .categorical(states: 4), 64)
        case "binomial":
            return (intensities.flatMap { $0.map { ($0 * 3).rounded() } }, .binomial(trials: 3), pixels)
        default:
            return (intensities.flatMap { $0.map { $0 > 0.75 ? 1 : 0 } }, .bernoulli, pixels)
        }
    }

    @Test(arguments: ["bernoulli", "gaussian", "categorical", "binomial"])
    func theBracketMeetsTheExactValueOnATrainedModel(kind: String) {
        let rows = 400
        let (data, units, columns) = Self.bars(kind: kind, rows: rows)
        let marginals = (0..<columns).map { i in Float((0..<rows).reduce(0.0) { $0 + Double(data[$1 * columns + i]) } / Double(rows)) }
        let start = UnitReference.with(Reference.randomModel(visible: columns, hidden: 12, scale: 0.05, seed: 3), units)
        let trainer = DataParallelTrainer(
            model: start,
            configuration: TrainerConfiguration(batchSize: 50, shards: 2, workers: 2, sampler: .persistentContrastiveDivergence,
                                                gibbsSteps: 1, weightDecay: 1e-4, seed: 3))
        for epoch in 0..<30 {
            for first in stride(from: 0, to: rows, by: 50) {
                trainer.update(batch: MatrixMinibatch(values: Array(data[(first * columns)..<((first + 50) * columns)]), visibleCount: columns),
                               hyperparameters: UpdateHyperparameters(learningRate: units == .gaussian ? 0.005 : 0.05,
                                                                      momentum: epoch < 5 ? 0.5 : 0.9))
            }
        }
        let model = trainer.model
        #expect(model.isFinite && model.weights.map(abs).max()! > 0.3, "\(kind): the model should have learned something")
        let exact = model.exactLogPartitionFunction(workers: 2)
        let annealing = AnnealedImportanceSampling(runs: 100, seed: 5, workers: 2)
        let base = AnnealedImportanceSampling.baseBias(units: units, marginals: marginals)
        let forward = annealing.estimate(model: model, baseVisibleBias: base)
        let reverse = annealing.reverseEstimate(model: model, baseVisibleBias: base, visible: data, rows: rows)
        let meanFreeEnergy = model.freeEnergies(visible: data, rows: rows).reduce(0, +) / Double(rows)
        let summary = "\(kind): data log-likelihood \(-meanFreeEnergy - exact); AIS \(forward.logPartitionFunction) ± \(forward.standardError), reverse "
            + "\(reverse.logPartitionFunction) ± \(reverse.standardError), exact \(exact)"
        #expect(forward.logPartitionFunction <= exact + 3 * forward.standardError + 0.02, "\(summary)")
        #expect(abs(forward.logPartitionFunction - exact) < 0.5, "\(summary)")
        let reverseHolds = {
            #expect(reverse.logPartitionFunction >= exact - 3 * reverse.standardError - 0.02, "\(summary)")
            #expect(abs(reverse.logPartitionFunction - exact) < 0.5, "\(summary)")
        }
        if kind == "binomial" {
            // Reverse AIS is conservative for the annealed model q its chains sample; where the
            // model gives the data little of its mass, q can give them far more (measured: 18
            // nats; 14 after 100 epochs), and its side crosses AIS's. The report says so (`bracketLines`).
            withKnownIssue("reverse AIS from the data crosses the exact value on this binomial model") { reverseHolds() }
        } else {
            reverseHolds()
        }
    }
}
