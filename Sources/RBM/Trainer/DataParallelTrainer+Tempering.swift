#if canImport(Glibc)
import Glibc
#endif

/// Parallel tempering: each minibatch row r keeps M persistent chains at inverse temperatures
/// β₁ = 1 > β₂ > … > β_M, chain (r, t) sampling from the model with its linear terms scaled by β,
/// p_β(v, h) ∝ m(v)·exp(β(bᵀv + cᵀh + vᵀWh)), m the visible kind's base measure (1 for
/// Bernoulli units, so p_β ∝ exp(−β·E); e^(−|v|²/2) for Gaussian units, whose β → 0 end is
/// N(0, I); one-hot groups; binomial coefficients):
///
///     P_β(h = 1 | v) = σ(β(vW + c)),   P_β(v | h) = the kind's conditional at β(hWᵀ + b)
///
/// (`VisibleUnits.applyTemperedMeans`). Each update runs the k Gibbs steps on every chain, and
/// after each step proposes to swap the states of neighbouring temperatures t, t + 1
/// (t = 1, …, M − 1 in turn), accepting with the Metropolis probability of the two tempered
/// marginals p_β(v) ∝ exp(−F_β(v)),
///
///     min(1, exp(F_t(v_t) + F_{t+1}(v_{t+1}) − F_t(v_{t+1}) − F_{t+1}(v_t))),
///     F_β(v) = −log m(v) − β·bᵀv − Σ_j softplus(β(vW + c)_j),
///
/// where m cancels (`TemperingSwap`: single precision, double where it decides). The β = 1
/// chains give the negative statistics. Chain (r, t) draws its random numbers as chain
/// t·B + r, so with M = 1 this is PCD, bit for bit.
extension DataParallelTrainer {
    func runTemperedChains(workspace: ShardWorkspace, rows rowRange: Range<Int>) {
        guard let chains else { preconditionFailure("parallel tempering keeps chains") }
        let scratch = workspace.tempered
        let preactivations = scratch.preactivations, samples = scratch.hiddenSamples
        let n = rowRange.count, nv = visibleCount, nh = hiddenCount
        let temperatures = configuration.chainsPerRow
        let betas = configuration.inverseTemperatures
        let chainRows = n * temperatures
        let w = UnsafePointer(parameters.weights)
        let b = UnsafePointer(parameters.visibleBias)
        let c = UnsafePointer(parameters.hiddenBias)
        // This shard's chains, row by row and within a row by temperature, updated in place.
        let visible = chains.visible + rowRange.lowerBound * temperatures * nv
        let probabilities = chains.hiddenProbabilities + rowRange.lowerBound * temperatures * nh
        func chainID(_ chain: Int) -> UInt32 {
            UInt32((chain % temperatures) * configuration.batchSize + rowRange.lowerBound + chain / temperatures)
        }
        for index in scratch.swapAttempts.indices {
            scratch.swapAttempts[index] = 0
            scratch.swapAcceptances[index] = 0
        }
        // The visible bias of temperature t's conditional, b + ((1 − β_t)/β_t)·b_A, so that
        // β_t(hWᵀ + that) = β_t(hWᵀ + b) + (1 − β_t)·b_A; and b − b_A, the swaps' visible bias.
        var temperedBiases = b, temperedBiasStride = 0, swapBias = b
        if let base = configuration.temperingBase {
            for t in 0...temperatures {
                let row = scratch.visibleBiases + t * nv
                if t == temperatures {
                    for i in 0..<nv { row[i] = b[i] - base[i] }
                } else {
                    let weight = (1 - betas[t]) / betas[t]
                    for i in 0..<nv { row[i] = b[i] + weight * base[i] }
                }
            }
            temperedBiases = UnsafePointer(scratch.visibleBiases)
            temperedBiasStride = nv
            swapBias = temperedBiases + temperatures * nv
        }

        for gibbsStep in 0..<configuration.gibbsSteps {
            let hiddenStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .hidden)
            GibbsHalfStep.drawBernoulli(hiddenStream, rows: chainRows, stride: nh, units: 0..<nh, streamRow: { Int(chainID($0)) },
                                        probabilities: probabilities, into: samples)
            // v ~ P_β(v | h) (σ(β(hWᵀ + b)) for Bernoulli units), then the pre-activations vW.
            BLAS.gemm(m: chainRows, n: nv, k: nh, a: samples, b: w, transposeB: true, c: visible)
            for chain in 0..<chainRows {
                let t = chain % temperatures
                visibleUnits.applyTemperedMeans(to: visible + chain * nv, columns: nv, bias: temperedBiases + t * temperedBiasStride,
                                                beta: betas[t])
            }
            let visibleStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .visible)
            GibbsHalfStep.drawVisible(visibleUnits, visibleStream, rows: chainRows, count: nv, streamRow: { Int(chainID($0)) },
                                      means: visible, into: visible)
            BLAS.gemm(m: chainRows, n: nh, k: nv, a: visible, b: w, c: preactivations)
            if temperatures > 1 {
                proposeSwaps(rows: rowRange, gibbsStep: gibbsStep, visible: visible, preactivations: preactivations,
                             visibleBias: swapBias, scratch: scratch)
            }
            // P_β(h | v) = σ(β(vW + c)) of every chain's state after the swaps.
            for chain in 0..<chainRows {
                (probabilities + chain * nh).update(from: preactivations + chain * nh, count: nh)
                Logistic.applyTempered(probabilities + chain * nh, columns: nh, bias: c, beta: betas[chain % temperatures])
            }
        }
        // The β = 1 chains are the negative phase: vᵏ and P(h|vᵏ) below the data rows.
        let negativeVisible = workspace.stackedVisible + n * nv
        let negativeHidden = workspace.stackedHidden + n * nh
        for r in 0..<n {
            (negativeVisible + r * nv).update(from: visible + r * temperatures * nv, count: nv)
            (negativeHidden + r * nh).update(from: probabilities + r * temperatures * nh, count: nh)
        }
    }

    /// After a Gibbs step: for each row, swaps proposed between neighbouring temperatures t and
    /// t + 1 (t = 1, …, M − 1 in turn), each decided by `TemperingSwap` on the states and
    /// pre-activations (vW) as the earlier swaps left them; accepted swaps exchange both.
    private func proposeSwaps(rows rowRange: Range<Int>, gibbsStep: Int, visible: UnsafeMutablePointer<Float>,
                              preactivations: UnsafeMutablePointer<Float>, visibleBias b: UnsafePointer<Float>,
                              scratch: TemperedScratch) {
        let nv = visibleCount, nh = hiddenCount
        let temperatures = configuration.chainsPerRow
        let betas = configuration.inverseTemperatures
        let c = UnsafePointer(parameters.hiddenBias)
        let swapStream = RandomStream(seed: configuration.seed, purpose: .temperingSwap, step: UInt32(truncatingIfNeeded: step),
                                      substep: UInt32(gibbsStep))
        // Three rows of nh floats the pairs hand softplus terms on in (`TemperingSwap.CarriedTerms`).
        withUnsafeTemporaryAllocation(of: Float.self, capacity: temperatures - 1 + 3 * nh) { buffer in
            let uniforms = buffer.baseAddress!
            for r in 0..<rowRange.count {
                swapStream.uniforms(row: UInt32(rowRange.lowerBound + r), count: temperatures - 1, into: uniforms)
                var slots = (uniforms + temperatures - 1, uniforms + temperatures - 1 + nh, uniforms + temperatures - 1 + 2 * nh)
                var handedOn = false
                for pair in 0..<(temperatures - 1) {
                    let first = r * temperatures + pair, second = first + 1
                    func energy(_ chain: Int, _ beta: Float) -> Double {
                        Self.temperedFreeEnergy(visible: visible + chain * nv, preactivation: preactivations + chain * nh,
                                                beta: beta, visibleBias: b, hiddenBias: c, visibleCount: nv, hiddenCount: nh)
                    }
                    let estimate = TemperingSwap.estimate(
                        visibleFirst: visible + first * nv, visibleSecond: visible + second * nv,
                        preactivationFirst: preactivations + first * nh, preactivationSecond: preactivations + second * nh,
                        betaFirst: betas[pair], betaSecond: betas[pair + 1], visibleBias: b, hiddenBias: c,
                        visibleCount: nv, hiddenCount: nh,
                        carried: TemperingSwap.CarriedTerms(ownFirst: handedOn ? UnsafePointer(slots.0) : nil,
                                                            ownSecond: slots.1, crossedSecond: slots.2))
                    scratch.swapAttempts[pair] += 1
                    let accepted = TemperingSwap.accepts(estimate, uniform: uniforms[pair]) {
                        energy(first, betas[pair]) + energy(second, betas[pair + 1])
                            - energy(second, betas[pair]) - energy(first, betas[pair + 1])
                    }
                    // The next pair's first chain: softplus(β·x) of the state it now holds.
                    handedOn = estimate.kernelUnits > 0
                    slots = accepted ? (slots.2, slots.0, slots.1) : (slots.1, slots.0, slots.2)
                    guard accepted else { continue }
                    scratch.swapAcceptances[pair] += 1
                    swapRows(visible, first, second, width: nv)
                    swapRows(preactivations, first, second, width: nh)
                }
            }
        }
    }

    /// F_β(v) = −β·bᵀv − Σ_j softplus(β(a_j + c_j)) with a = vW, in double precision: the free
    /// energy of v under the tempered model p_β, less the base measure's −log m(v), which
    /// cancels from every swap ratio.
    public static func temperedFreeEnergy(
        visible: UnsafePointer<Float>, preactivation: UnsafePointer<Float>, beta: Float,
        visibleBias: UnsafePointer<Float>, hiddenBias: UnsafePointer<Float>, visibleCount: Int, hiddenCount: Int
    ) -> Double {
        let beta = Double(beta)
        var visibleTerm = 0.0
        for i in 0..<visibleCount { visibleTerm += Double(visibleBias[i]) * Double(visible[i]) }
        var hiddenTerm = 0.0
        for j in 0..<hiddenCount {
            let x = beta * (Double(preactivation[j]) + Double(hiddenBias[j]))
            hiddenTerm += max(x, 0) + log1p(exp(-abs(x)))
        }
        return -beta * visibleTerm - hiddenTerm
    }

    /// The Metropolis rule: accept when u < exp(log ratio) (always when the ratio is ≥ 1).
    public static func acceptsSwap(logRatio: Double, uniform: Float) -> Bool {
        logRatio >= 0 || Double(uniform) < exp(logRatio)
    }

    /// The swap counts of the last update, summed over this rank's shards (in shard order).
    func collectSwapCounts() {
        for workspace in workspaces {
            for pair in workspace.tempered.swapAttempts.indices {
                swapAttempts[pair] += workspace.tempered.swapAttempts[pair]
                swapAcceptances[pair] += workspace.tempered.swapAcceptances[pair]
            }
        }
    }

    /// The fraction of proposed swaps accepted per pair of neighbouring temperatures since the
    /// last call, over every rank (collective under several ranks); then the counts restart.
    public func takeSwapAcceptanceRates() -> [Double] {
        let local = zip(swapAttempts, swapAcceptances).flatMap { [Double($0), Double($1)] }
        let gathered = ranks.allGather(doubles: local)
        var attempts = [Double](repeating: 0, count: swapAttempts.count)
        var acceptances = attempts
        for (index, value) in gathered.enumerated() {
            let pair = index / 2 % max(1, swapAttempts.count)
            if index % 2 == 0 { attempts[pair] += value } else { acceptances[pair] += value }
        }
        for pair in swapAttempts.indices {
            swapAttempts[pair] = 0
            swapAcceptances[pair] = 0
        }
        return zip(acceptances, attempts).map { $1 > 0 ? $0 / $1 : .nan }
    }
}

/// Exchanges rows `first` and `second` (distinct) of `buffer`, `width` floats each: eight floats
/// at a time (an element-by-element loop here was 3 % of a PT-10 update: perf).
private func swapRows(_ buffer: UnsafeMutablePointer<Float>, _ first: Int, _ second: Int, width: Int) {
    let one = UnsafeMutableRawPointer(buffer + first * width), other = UnsafeMutableRawPointer(buffer + second * width)
    var offset = 0
    while offset + 32 <= width * 4 {
        let a = one.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        let b = other.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
        one.storeBytes(of: b, toByteOffset: offset, as: SIMD8<Float>.self)
        other.storeBytes(of: a, toByteOffset: offset, as: SIMD8<Float>.self)
        offset += 32
    }
    for index in (offset / 4)..<width {
        let a = buffer[first * width + index]
        buffer[first * width + index] = buffer[second * width + index]
        buffer[second * width + index] = a
    }
}
