import CRBMKernels

/// Visible variables of q states each, coded one-hot in q units (n_visible = variables × q).
/// E is as for Bernoulli units on the one-hot vector, so
///
///     P(v_g = a | h) = exp(b_ga + x_ga) / Σ_a' exp(b_ga' + x_ga')    (a softmax per group),
///
/// and log Σ_v exp(bᵀv + aᵀv) = Σ_groups logsumexp_a(b_ga + a_ga).
public struct CategoricalUnits: VisibleUnitType {
    public static let name = "categorical"
    public static let parameter: VisibleUnitParameter? = VisibleUnitParameter(
        configKey: "categories", checkpointAttribute: "visible_states",
        meaning: "the number of states of every variable", range: 2...65_536)

    /// q, the states of every variable.
    public let states: Int

    public init(parameter: Int) {
        states = parameter
    }

    public var parameterValue: Int { states }

    /// The logits b + x, then a softmax per group: each group's largest logit is subtracted,
    /// the exponentials taken eight at a time (`Logistic.exp8`), and each group multiplied by
    /// 1/its sum (single precision, the same operations on every x86-64 CPU). Eight groups at a
    /// time by `rbm_categorical_softmax` where the CPU has AVX2 (the same bits), the rest here.
    public func applyMeans(to values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>) {
        for row in 0..<rows { softmax(values + row * columns, columns: columns, bias: bias, beta: nil) }
    }

    /// β(x + b), then the softmax per group as in `applyMeans` (at β = 1, exactly `applyMeans`).
    public func applyTemperedMeans(to values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>,
                                   beta: Float) {
        softmax(values, columns: columns, bias: bias, beta: beta == 1 ? nil : beta)
    }

    /// One row's softmax per group of the logits (x + b), or β(x + b).
    private func softmax(_ values: UnsafeMutablePointer<Float>, columns: Int, bias: UnsafePointer<Float>, beta: Float?) {
        let groups = columns / states
        let done = rbm_categorical_softmax(values, groups, states, bias, beta ?? 1, beta == nil ? 0 : 1)
        let first = done * states, end = groups * states
        guard first < end else { return }
        for index in first..<end {
            let logit = values[index] + bias[index]
            values[index] = beta.map { $0 * logit } ?? logit
        }
        for start in stride(from: first, to: end, by: states) {
            var largest = values[start]
            for index in (start + 1)..<(start + states) { largest = max(largest, values[index]) }
            for index in start..<(start + states) { values[index] -= largest }
        }
        let raw = UnsafeMutableRawPointer(values)
        var index = first
        while index < end {
            let count = min(8, end - index)
            var chunk = SIMD8<Float>(repeating: 0)
            if count == 8 {
                chunk = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            } else {
                for k in 0..<count { chunk[k] = values[index + k] }
            }
            let exponentials = Logistic.exp8(chunk)
            for k in 0..<count { values[index + k] = exponentials[k] }
            index += count
        }
        for start in stride(from: first, to: end, by: states) {
            var sum: Float = 0
            for index in start..<(start + states) { sum += values[index] }
            let inverse = 1 / sum
            for index in start..<(start + states) { values[index] *= inverse }
        }
    }

    /// Uniform g picks the state of group g by the cumulative probabilities: the first state
    /// whose cumulative sum exceeds it, else the last (eight groups at a time by
    /// `rbm_categorical_draw` where the CPU has AVX2, the same choices).
    public func sample(_ stream: RandomStream, row: UInt32, means: UnsafePointer<Float>, count: Int,
                       into output: UnsafeMutablePointer<Float>) {
        let groups = count / states
        withUnsafeTemporaryAllocation(of: Float.self, capacity: groups) { uniforms in
            stream.uniforms(row: row, count: groups, into: uniforms.baseAddress!)
            let done = rbm_categorical_draw(means, uniforms.baseAddress!, groups, states, output)
            for group in done..<groups {
                let base = group * states
                var chosen = states - 1
                var cumulative: Float = 0
                for state in 0..<states {
                    cumulative += means[base + state]
                    if uniforms[group] < cumulative { chosen = state; break }
                }
                for state in 0..<states { output[base + state] = state == chosen ? 1 : 0 }
            }
        }
    }

    public func freeEnergyTerm(_ v: UnsafePointer<Float>, bias: [Float]) -> Double { Self.linearTerm(v, bias: bias) }

    /// Σ_groups logsumexp(b + a), each group max-shifted, in double precision, by
    /// `rbm_categorical_log_sum` (its own exponential four groups at a time, one log per block of
    /// groups: within about 10⁻¹³ relative of glibc's e^ and log per group, and the same bits on
    /// every x86-64 CPU). The exact log Z takes one per hidden state: 2^n_hidden × groups
    /// log-sum-exps.
    public func summedOut(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Double {
        rbm_categorical_log_sum(a, bias, count / states, states)
    }

    public var hasPseudoLikelihood: Bool { true }

    /// Σ_groups logsumexp_s t_s per chain, t = β·a + (1 − β)·b_A + β·b_B: by the softmax kernel,
    /// as logsumexp = t_k − log p_k for the group's most probable state k. As p_k ≥ 1/q, a
    /// product of up to ⌊1000/log₂ q⌋ of them stays a normal double, so one log per block of
    /// groups replaces one per group — the mode jump's comparison at a fraction of `summedOut`'s
    /// cost (to about 10⁻⁶ relative, from the single-precision softmax).
    public func annealedSummedOut(_ a: UnsafePointer<Float>, rows: Int, count: Int, beta: Float, base: [Float],
                                  modelBias: [Float], scratch: UnsafeMutablePointer<Float>,
                                  into values: UnsafeMutablePointer<Double>) {
        let states = self.states, groups = count / states, used = groups * states
        let block = max(1, Int(1000 / _log2(Double(states))))
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * used) { buffer in
            let bias = buffer.baseAddress!, probabilities = bias + used
            base.withUnsafeBufferPointer { base in
                modelBias.withUnsafeBufferPointer { modelBias in
                    for i in 0..<used { bias[i] = (1 - beta) * base[i] + beta * modelBias[i] }
                }
            }
            for r in 0..<rows {
                let input = a + r * count
                for i in 0..<used { probabilities[i] = beta * input[i] }
                softmax(probabilities, columns: used, bias: bias, beta: nil)
                var total = 0.0, product = 1.0, inBlock = 0, first = 0
                for _ in 0..<groups {
                    var best = first, i = first + 1
                    while i < first + states {
                        best = probabilities[i] > probabilities[best] ? i : best
                        i += 1
                    }
                    total += Double(beta * input[best] + bias[best])
                    product *= Double(probabilities[best])
                    inBlock += 1
                    if inBlock == block {
                        total -= _log(product)
                        product = 1
                        inBlock = 0
                    }
                    first += states
                }
                values[r] = total - _log(product)
            }
        }
    }

    /// Variable g in state a, moved to a': F(v_{g=a'}) − F(v) = −(b_ga' − b_ga) −
    /// Σ_j [softplus(x_j + W_ga'j − W_gaj) − softplus(x_j)], and log P(v_g | v₋g) =
    /// −logsumexp_a' [F(v) − F(v_{g=a'})].
    public func logConditional(variable group: Int, visible v: UnsafePointer<Float>, hiddenInput x: UnsafePointer<Float>,
                               base: Double, weights: UnsafePointer<Float>, visibleBias: [Float], hiddenCount nh: Int,
                               scratch shifted: UnsafeMutablePointer<Float>) -> Double {
        let first = group * states
        let current = (0..<states).first { v[first + $0] > 0.5 } ?? 0
        let currentRow = weights + (first + current) * nh
        var changes: [Double] = []
        for state in 0..<states {
            if state == current { changes.append(0); continue }
            let stateRow = weights + (first + state) * nh
            for j in 0..<nh { shifted[j] = stateRow[j] - currentRow[j] }
            let moved = Logistic.softplusSum(x, offset: shifted, count: nh)
            changes.append(Double(visibleBias[first + state] - visibleBias[first + current]) + (moved - base))
        }
        return -logSumExp(changes)
    }
    public var oneHotStates: Int? { states }
    public var takesUnitInterval: Bool { true }

    /// Outside [0, 1], or a group whose states sum past 1 (one-hot groups; all zeros before the
    /// first update).
    public func impossibleChainValue(_ chains: [Float], rowLength: Int) -> String? {
        if let outside = Self.firstOutsideUnitInterval(chains, rowLength: rowLength) { return outside }
        if let group = stride(from: 0, to: chains.count, by: states).first(where: { start in
            let sum = chains[start..<min(chains.count, start + states)].reduce(0, +)
            return sum.isFinite && sum > 1.001
        }) {
            return "row \(group / max(1, rowLength)) has a group of \(states) states summing to more than 1; expected one-hot groups"
        }
        return nil
    }

    public func layoutProblem(visibleCount: Int) -> String? {
        visibleCount % states == 0 ? nil : "\(visibleCount) visible units do not make groups of \(states) states"
    }

    public func variableCount(visibleCount: Int) -> Int { visibleCount / states }

    /// The expected level Σ_a a·v_a / (q − 1) of each group.
    public func displayValues(_ vector: [Float]) -> [Float] {
        (0..<(vector.count / states)).map { group in
            (0..<states).reduce(Float(0)) { $0 + Float($1) * vector[group * states + $1] } / Float(states - 1)
        }
    }

    /// b = log p (a group's softmax is then its frequencies).
    public func initialBias(marginal: Float, clip: Float) -> Float {
        Float(_log(Double(min(max(marginal, clip), 1 - clip))))
    }

    public func baseBias(marginals: [Float], clip: Float) -> [Float] {
        marginals.map { Float(_log(Double(min(max($0, clip), 1)))) }
    }

    /// Σ_groups logsumexp(b_A).
    public func baseLogPartition(bias: [Float]) -> Double {
        (0..<(bias.count / states)).reduce(0.0) { sum, group in
            sum + logSumExp((0..<states).map { Double(bias[group * states + $0]) })
        }
    }

    /// (b_B − b_A)ᵀv on the one-hot vector: each group's difference at its state, added group by
    /// group. A group's Σ_a v_ga·d_ga is its one state's d exactly (1·d = d, and the other
    /// states add ±0), so the sum is the one over the states on, in the same order, without a
    /// branch on the random states (which mispredicted about once per group) and with one
    /// dependent addition per group instead of per unit.
    public func annealingTerm(_ v: UnsafePointer<Float>, count: Int, modelBias: [Float], base: [Float],
                              biasDifference: [Double]) -> Double {
        let states = self.states, used = count - count % states
        return biasDifference.withUnsafeBufferPointer { difference in
            var term = 0.0
            if states == 4 {
                // The common case four at a time: the same products, added in the same order.
                let rawVisible = UnsafeRawPointer(v), rawDifference = UnsafeRawPointer(difference.baseAddress!)
                for start in stride(from: 0, to: used, by: 4) {
                    let group = SIMD4<Double>(rawVisible.loadUnaligned(fromByteOffset: 4 * start, as: SIMD4<Float>.self))
                    let products = group * rawDifference.loadUnaligned(fromByteOffset: 8 * start, as: SIMD4<Double>.self)
                    term += ((products[0] + products[1]) + products[2]) + products[3]
                }
                return term
            }
            for start in stride(from: 0, to: used, by: states) {
                var group = Double(v[start]) * difference[start]
                for i in (start + 1)..<(start + states) { group += Double(v[i]) * difference[i] }
                term += group
            }
            return term
        }
    }

    public static let refusesBinarization: String? = "categorical visible units read integer codes"
}

extension VisibleUnits {
    public static func categorical(states: Int) -> VisibleUnits { VisibleUnits(CategoricalUnits(parameter: states)) }
}

extension VisibleUnits.Kind {
    public static let categorical = Self(CategoricalUnits.self)
}
