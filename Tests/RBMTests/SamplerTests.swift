import Foundation
import Testing
import RBM

/// Fast PCD, parallel tempering and centering, held to exact enumeration on tiny models and to
/// the samplers they extend.
@Suite struct SamplerTests {
    func configuration(_ sampler: SamplerKind, batch: Int = 30, shards: Int = 4, workers: Int = 2, k: Int = 1,
                       decay: Float = 1e-3, seed: UInt64 = 42) -> TrainerConfiguration {
        TrainerConfiguration(batchSize: batch, shards: shards, workers: workers, sampler: sampler,
                             gibbsSteps: k, weightDecay: decay, seed: seed)
    }

    func train(_ configuration: TrainerConfiguration, updates: Int = 18, state: TrainerState? = nil) -> TrainerState {
        TrainingFixture.train(configuration, updates: updates, visible: 37, hidden: 19, state: state)
    }

    func bits(_ state: TrainerState) -> [[UInt32]] { TrainingFixture.bits(state) }

    /// FPCD whose fast weights never learn samples from the parameters themselves: PCD.
    @Test func fastPCDWithZeroFastLearningRateIsPCDBitForBit() {
        var fast = configuration(.fastPersistentContrastiveDivergence, k: 2)
        fast.fastLearningRate = 0
        let pcd = train(configuration(.persistentContrastiveDivergence, k: 2))
        let fpcd = train(fast)
        #expect(bits(fpcd).prefix(8) == bits(pcd).prefix(8))
        #expect(fpcd.fastParameters?.weights.allSatisfy { $0 == 0 } == true)
        // With a fast learning rate the chains (and so the weights) go elsewhere.
        fast.fastLearningRate = 0.05
        let learning = train(fast)
        #expect(learning.model.weights != pcd.model.weights)
        #expect(learning.fastParameters!.weights.contains { $0 != 0 })
    }

    /// One temperature is PCD: the β = 1 chain draws the same random numbers as PCD's.
    @Test func temperingWithOneTemperatureIsPCDBitForBit() {
        var tempering = configuration(.parallelTempering, k: 2)
        tempering.inverseTemperatures = [1]
        #expect(bits(train(tempering)) == bits(train(configuration(.persistentContrastiveDivergence, k: 2))))
    }

    /// Each sampler and centering, with 1, 2 and 3 workers: the same bits; and a trainer
    /// rebuilt from its state halfway continues exactly.
    @Test(arguments: ["fpcd", "pt", "pt+base", "pcd+centering", "fpcd+centering", "pt+centering", "cd+centering"])
    func everySamplerIsBitIdenticalAcrossWorkersAndResume(variant: String) {
        let sampler = SamplerKind(rawValue: String(variant.split(separator: "+")[0]))!
        var base = configuration(sampler, k: 2)
        base.centering = variant.hasSuffix("+centering")
        base.fastLearningRate = 0.05
        base.inverseTemperatures = [1, 0.8, 0.6]
        // Tempered toward base rates 0.05 … 0.95 over the fixture's 37 visible units.
        if variant.hasSuffix("+base") { base.temperingBase = (0..<37).map { i in Float(log((0.05 + 0.025 * Double(i)) / (0.95 - 0.025 * Double(i)))) } }
        let one = TrainingFixture.expectBitIdenticalAcrossWorkersAndResume(base, updates: 18) { train($0, updates: $1, state: $2) }
        if base.centering { #expect(one.hiddenOffsets != [Float](repeating: 0.5, count: 19)) }
    }

    /// A tempering base is one finite coefficient per visible unit: a wrong length or a NaN is
    /// refused under `training.tempering_base`; a right one, or no known width yet, is not.
    @Test func aTemperingBaseMustFitTheVisibleUnits() {
        var tempering = configuration(.parallelTempering)
        tempering.inverseTemperatures = [1, 0.5]
        func refused(_ base: [Float], visible: Int?) -> Bool {
            var checked = tempering
            checked.temperingBase = base
            return checked.problems(visibleCount: visible, hiddenCount: 19).contains { $0.keys.contains("training.tempering_base") }
        }
        #expect(refused([0, 1, 2], visible: 37))
        #expect(refused([Float](repeating: 0, count: 36) + [.nan], visible: 37))
        #expect(!refused([Float](repeating: -2, count: 37), visible: 37))
        #expect(!refused([0, 1, 2], visible: nil))
    }

    /// The centred RBM's free energy (by enumerating h under the centred energy) differs from
    /// the converted plain model's by one constant for every v.
    @Test func centeringFollowedByConversionGivesThePlainFreeEnergies() {
        let nv = 6, nh = 4
        let source = Reference.randomModel(visible: nv, hidden: nh, scale: 1.2, seed: 11)
        let mu: [Float] = (0..<nv).map { Float($0 + 1) / Float(nv + 2) }
        let lambda: [Float] = (0..<nh).map { 0.2 + 0.15 * Float($0) }
        let plain = RBMModel.fromCentered(weights: source.weights, visibleBias: source.visibleBias,
                                          hiddenBias: source.hiddenBias, visibleOffsets: mu, hiddenOffsets: lambda)
        func centredFreeEnergy(_ v: [Float]) -> Double {
            let terms = Reference.allStates(nh).map { h -> Double in
                var energy = 0.0
                for i in 0..<nv {
                    energy -= Double(source.visibleBias[i]) * Double(v[i] - mu[i])
                    for j in 0..<nh {
                        energy -= Double(v[i] - mu[i]) * Double(source.weights[i * nh + j]) * Double(h[j] - lambda[j])
                    }
                }
                for j in 0..<nh { energy -= Double(source.hiddenBias[j]) * Double(h[j] - lambda[j]) }
                return -energy
            }
            return -logSumExp(terms)
        }
        let states = Reference.allStates(nv)
        let plainEnergies = plain.freeEnergies(visible: states.flatMap { $0 }, rows: states.count)
        let differences = zip(states, plainEnergies).map { centredFreeEnergy($0) - $1 }
        #expect(differences.max()! - differences.min()! < 1e-4, "F_centred − F_plain varies: \(differences)")
        #expect(plain.hiddenBias != source.hiddenBias, "the conversion should move the biases")
    }

    /// One centred update (CD-1, no momentum or decay) equals Melchior et al.'s algorithm done
    /// by hand in centred coordinates: move λ, follow the centred gradient, convert back.
    @Test func centredUpdateIsTheAlgorithmInCentredCoordinates() {
        let nv = 9, nh = 5, batchSize = 40
        let model = Reference.randomModel(visible: nv, hidden: nh, scale: 0.8, seed: 5)
        let data = Reference.randomBinary(rows: batchSize, columns: nv, seed: 6)
        let batch = MatrixMinibatch(values: data, visibleCount: nv)
        var centred = configuration(.contrastiveDivergence, batch: batchSize, shards: 2, decay: 0)
        centred.centering = true
        centred.centeringRate = 0.1
        var state = TrainerState.initial(model: model, configuration: centred)
        let mu: [Float] = (0..<nv).map { i in (0..<batchSize).map { data[$0 * nv + i] }.reduce(0, +) / Float(batchSize) }
        state.visibleOffsets = mu
        let lambda0 = state.hiddenOffsets!
        let trainer = DataParallelTrainer(state: state, configuration: centred)
        let epsilon: Float = 0.5
        trainer.update(batch: batch, hyperparameters: UpdateHyperparameters(learningRate: epsilon, momentum: 0))

        // The plain statistics of the same update (same parameters, same random numbers).
        let plain = DataParallelTrainer(model: model, configuration: configuration(.contrastiveDivergence, batch: batchSize,
                                                                                    shards: 2, decay: 0))
        let g = plain.estimateGradient(batch: batch)
        let meanHidden = (0..<nh).map { j in
            (0..<batchSize).map { Reference.hiddenProbabilities(model, Array(data[($0 * nv)..<(($0 + 1) * nv)]))[j] }
                .reduce(0, +) / Double(batchSize)
        }
        let lambda = (0..<nh).map { Double(lambda0[$0]) * 0.9 + 0.1 * meanHidden[$0] }
        // Centred parameters for offsets λ (the reparametrisation keeps the model when λ moves).
        var w = model.weights.map(Double.init)
        var b = (0..<nv).map { i in Double(model.visibleBias[i]) + (0..<nh).map { w[i * nh + $0] * lambda[$0] }.reduce(0, +) }
        var c = (0..<nh).map { j in Double(model.hiddenBias[j]) + (0..<nv).map { w[$0 * nh + j] * Double(mu[$0]) }.reduce(0, +) }
        for i in 0..<nv {
            for j in 0..<nh {
                let centredGradient = Double(g.weights[i * nh + j]) - Double(mu[i]) * Double(g.hiddenBias[j])
                    - Double(g.visibleBias[i]) * lambda[j]
                w[i * nh + j] += Double(epsilon) * centredGradient
            }
        }
        for i in 0..<nv { b[i] += Double(epsilon) * Double(g.visibleBias[i]) }
        for j in 0..<nh { c[j] += Double(epsilon) * Double(g.hiddenBias[j]) }
        let expected = RBMModel.fromCentered(weights: w.map(Float.init), visibleBias: b.map(Float.init),
                                             hiddenBias: c.map(Float.init), visibleOffsets: mu,
                                             hiddenOffsets: lambda.map(Float.init))
        let got = trainer.model
        let errors = zip(got.weights + got.visibleBias + got.hiddenBias,
                         expected.weights + expected.visibleBias + expected.hiddenBias).map { abs($0 - $1) }
        #expect(errors.max()! < 2e-5, "largest difference \(errors.max()!)")
        #expect(zip(trainer.state.hiddenOffsets!, lambda).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        #expect(zip(got.visibleBias, model.visibleBias).contains { abs($0 - $1) > 1e-3 }, "the update should move b")
    }

    /// The swap rule's log ratio is exactly log[p_β(v′)p_β′(v) / (p_β(v)p_β′(v′))] with
    /// p_β(v) ∝ Σ_h exp(−β·E(v, h)) enumerated over h.
    @Test func swapLogRatioIsTheExactMetropolisRatio() {
        let nv = 7, nh = 4
        let model = Reference.randomModel(visible: nv, hidden: nh, scale: 1.5, seed: 17)
        func exactLogMarginal(_ v: [Float], _ beta: Double) -> Double {
            logSumExp(Reference.allStates(nh).map { -beta * Reference.energy(model, v, $0) })
        }
        func codeFreeEnergy(_ v: [Float], _ beta: Float) -> Double {
            let preactivation = (0..<nh).map { j in (0..<nv).map { v[$0] * model.weights[$0 * nh + j] }.reduce(0, +) }
            return DataParallelTrainer.temperedFreeEnergy(visible: v, preactivation: preactivation, beta: beta,
                                                          visibleBias: model.visibleBias, hiddenBias: model.hiddenBias,
                                                          visibleCount: nv, hiddenCount: nh)
        }
        let states = Reference.allStates(nv)
        for (first, second, betas) in [(3, 90, (Float(1), Float(0.7))), (0, 127, (1, 0.4)), (45, 46, (0.8, 0.5))] {
            let v = states[first], w = states[second]
            let exact = exactLogMarginal(w, Double(betas.0)) + exactLogMarginal(v, Double(betas.1))
                - exactLogMarginal(v, Double(betas.0)) - exactLogMarginal(w, Double(betas.1))
            let code = codeFreeEnergy(v, betas.0) + codeFreeEnergy(w, betas.1) - codeFreeEnergy(w, betas.0) - codeFreeEnergy(v, betas.1)
            #expect(abs(code - exact) < 1e-5 * max(1, abs(exact)), "\(code) vs \(exact)")
        }
        #expect(DataParallelTrainer.acceptsSwap(logRatio: 0.1, uniform: 0.999))
        #expect(DataParallelTrainer.acceptsSwap(logRatio: log(0.3), uniform: 0.29))
        #expect(!DataParallelTrainer.acceptsSwap(logRatio: log(0.3), uniform: 0.31))
    }

    /// With the parameters fixed, the β = 1 chains' statistics average to the exact model
    /// expectation E[v P(h|v)ᵀ] of a bimodal model, and pair (1, β₂)'s measured acceptance
    /// rate matches the exact stationary one, Σ p₁(v) p_β₂(v′) min(1, ratio), by enumeration —
    /// with the hot end uniform, and tempered toward a base b_A (p_β ∝ e^(−βE + (1 − β)b_Aᵀv)),
    /// whose hot chain samples its own marginal only if its conditional and the swap rule both
    /// carry the base.
    @Test(arguments: [false, true])
    func temperingSamplesTheExactModelAndAcceptsAtTheExactRate(towardBase: Bool) {
        let nv = 8, nh = 4, batchSize = 200
        var model = Reference.randomModel(visible: nv, hidden: nh, scale: 2.0, seed: 23)
        for i in 0..<nv { model.visibleBias[i] = -0.5 * (0..<nh).map { model.weights[i * nh + $0] }.reduce(0, +) }
        for j in 0..<nh { model.hiddenBias[j] = -0.5 * (0..<nv).map { model.weights[$0 * nh + j] }.reduce(0, +) }
        var tempering = configuration(.parallelTempering, batch: batchSize, shards: 4, decay: 0)
        tempering.inverseTemperatures = [1, 0.6]
        // A base far from uniform (rates 0.1 … 0.9), as the data's base rates would be.
        let base: [Float] = (0..<nv).map { i in Float(log((0.1 + 0.8 * Double(i) / Double(nv - 1)) / (0.9 - 0.8 * Double(i) / Double(nv - 1)))) }
        if towardBase { tempering.temperingBase = base }
        let trainer = DataParallelTrainer(model: model, configuration: tempering)
        let data = Reference.randomBinary(rows: batchSize, columns: nv, seed: 9)
        let batch = MatrixMinibatch(values: data, visibleCount: nv)
        let rows = (0..<batchSize).map { Array(data[($0 * nv)..<(($0 + 1) * nv)]) }
        let positive = ExactStatistics(model: model, rows: rows)
        let exactModel = ExactStatistics.model(model)
        for _ in 0..<50 { _ = trainer.estimateGradient(batch: batch) }
        _ = trainer.takeSwapAcceptanceRates()
        let updates = 300
        var modelEstimate = [Double](repeating: 0, count: nv * nh)
        for _ in 0..<updates {
            let g = trainer.estimateGradient(batch: batch)
            for index in 0..<(nv * nh) {
                modelEstimate[index] += (positive.weights[index] - Double(g.weights[index])) / Double(updates)
            }
        }
        let largestError = zip(modelEstimate, exactModel.weights).map { abs($0 - $1) }.max()!
        #expect(largestError < 0.02, "largest |estimate − exact| = \(largestError)")
        let measured = trainer.takeSwapAcceptanceRates()[0]

        let states = Reference.allStates(nv)
        func logMarginals(_ beta: Double) -> [Double] {
            let raw = states.map { v in
                let baseTerm = towardBase ? (1 - beta) * zip(base, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } : 0
                return baseTerm + logSumExp(Reference.allStates(nh).map { -beta * Reference.energy(model, v, $0) })
            }
            let logZ = logSumExp(raw)
            return raw.map { $0 - logZ }
        }
        let cold = logMarginals(1), hot = logMarginals(0.6)
        var expected = 0.0
        for a in states.indices {
            for b in states.indices {
                let logRatio = cold[b] + hot[a] - cold[a] - hot[b]
                expected += exp(cold[a] + hot[b]) * min(1, exp(logRatio))
            }
        }
        #expect(abs(measured - expected) < 0.02, "measured acceptance \(measured), exact \(expected)")
        #expect(expected > 0.2 && expected < 0.95, "the pair should neither always nor never swap")
    }
}
