#if canImport(Glibc)
import Glibc
#endif

/// Parallel tempering: each minibatch row r keeps M persistent chains at inverse temperatures
/// β₁ = 1 > β₂ > … > β_M, chain (r, t) sampling from p_β(v, h) ∝ exp(−β·E(v, h)):
///
///     P(h = 1 | v) = σ(β(vW + c)),   P(v = 1 | h) = σ(β(hWᵀ + b)).
///
/// Each update runs the k Gibbs steps on every chain, and after each step proposes to swap the
/// states of neighbouring temperatures t, t + 1 (t = 1, …, M − 1 in turn), accepting with the
/// Metropolis probability of the two tempered marginals p_β(v) ∝ exp(−F_β(v)),
///
///     min(1, exp(F_t(v_t) + F_{t+1}(v_{t+1}) − F_t(v_{t+1}) − F_{t+1}(v_t))),
///     F_β(v) = −β·bᵀv − Σ_j softplus(β(vW + c)_j).
///
/// The β = 1 chains give the negative statistics. Chain (r, t) draws its random numbers as
/// chain t·B + r, so with M = 1 this is PCD, bit for bit. Bernoulli visible units only.
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
        let step32 = UInt32(truncatingIfNeeded: step)
        func chainID(_ chain: Int) -> UInt32 {
            UInt32((chain % temperatures) * configuration.batchSize + rowRange.lowerBound + chain / temperatures)
        }
        for index in scratch.swapAttempts.indices {
            scratch.swapAttempts[index] = 0
            scratch.swapAcceptances[index] = 0
        }

        for gibbsStep in 0..<configuration.gibbsSteps {
            let hiddenStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .hidden)
            GibbsHalfStep.drawBernoulli(hiddenStream, rows: chainRows, stride: nh, units: 0..<nh, streamRow: { Int(chainID($0)) },
                                        probabilities: probabilities, into: samples)
            // v ~ σ(β(hWᵀ + b)), then the pre-activations vW and P(h|v) = σ(β(vW + c)).
            BLAS.gemm(m: chainRows, n: nv, k: nh, a: samples, b: w, transposeB: true, c: visible)
            for chain in 0..<chainRows {
                Logistic.applyTempered(visible + chain * nv, columns: nv, bias: b, beta: betas[chain % temperatures])
            }
            let visibleStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .visible)
            GibbsHalfStep.drawVisible(visibleUnits, visibleStream, rows: chainRows, count: nv, streamRow: { Int(chainID($0)) },
                                      means: visible, into: visible)
            BLAS.gemm(m: chainRows, n: nh, k: nv, a: visible, b: w, c: preactivations)
            for chain in 0..<chainRows {
                (probabilities + chain * nh).update(from: preactivations + chain * nh, count: nh)
                Logistic.applyTempered(probabilities + chain * nh, columns: nh, bias: c, beta: betas[chain % temperatures])
            }
            guard temperatures > 1 else { continue }

            let swapStream = RandomStream(seed: configuration.seed, purpose: .temperingSwap, step: step32,
                                          substep: UInt32(gibbsStep))
            for r in 0..<n {
                var uniforms = [Float](repeating: 0, count: temperatures - 1)
                uniforms.withUnsafeMutableBufferPointer {
                    swapStream.uniforms(row: UInt32(rowRange.lowerBound + r), count: temperatures - 1, into: $0.baseAddress!)
                }
                for pair in 0..<(temperatures - 1) {
                    let first = r * temperatures + pair, second = first + 1
                    func energy(_ chain: Int, _ beta: Float) -> Double {
                        Self.temperedFreeEnergy(visible: visible + chain * nv, preactivation: preactivations + chain * nh,
                                                beta: beta, visibleBias: b, hiddenBias: c,
                                                visibleCount: nv, hiddenCount: nh)
                    }
                    let logRatio = energy(first, betas[pair]) + energy(second, betas[pair + 1])
                        - energy(second, betas[pair]) - energy(first, betas[pair + 1])
                    scratch.swapAttempts[pair] += 1
                    guard Self.acceptsSwap(logRatio: logRatio, uniform: uniforms[pair]) else { continue }
                    scratch.swapAcceptances[pair] += 1
                    swapRows(visible, first, second, width: nv)
                    swapRows(preactivations, first, second, width: nh)
                    for (chain, beta) in [(first, betas[pair]), (second, betas[pair + 1])] {
                        (probabilities + chain * nh).update(from: preactivations + chain * nh, count: nh)
                        Logistic.applyTempered(probabilities + chain * nh, columns: nh, bias: c, beta: beta)
                    }
                }
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

    /// F_β(v) = −β·bᵀv − Σ_j softplus(β(a_j + c_j)) with a = vW, in double precision: the free
    /// energy of v under the tempered model p_β(v, h) ∝ exp(−β·E(v, h)).
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

private func swapRows(_ buffer: UnsafeMutablePointer<Float>, _ first: Int, _ second: Int, width: Int) {
    for index in 0..<width {
        let a = buffer[first * width + index]
        buffer[first * width + index] = buffer[second * width + index]
        buffer[second * width + index] = a
    }
}
