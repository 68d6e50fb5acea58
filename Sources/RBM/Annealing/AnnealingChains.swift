/// A group of chains on AIS's path of distributions, and the two operations both directions of
/// annealing are made of.
///
/// The path runs from the base model A (W = 0, c = 0, visible biases b_A, the unit type's own
/// independent units) to the model B. With x = c + vᵀW, its unnormalised marginals are
///
///     log f_β(v) = visible_β(v) + Σⱼ softplus(β·xⱼ),
///
/// where visible_β(v) interpolates the visible energies (for Bernoulli units (1 − β)·b_Aᵀv +
/// β·b_Bᵀv), so that f_0 is A's (times 2^n_hidden) and f_1 is e^(−F_B(v)). The operations:
///
/// - `addLogRatio(from: β₀, to: β₁)`: log f_β₁(v) − log f_β₀(v) of the current states, added to
///   each chain's log weight (`VisibleUnits.annealingTerm` gives the visible part per unit of Δβ);
/// - `gibbsStep(beta:)`: the transition T_β, h ~ σ(β·x), v ~ P_β(v | h) at the visible biases
///   (1 − β)·b_A + β·(b_B + Wh): it leaves f_β invariant and is reversible with respect to it
///   (block Gibbs v → h → v), which is what reverse annealing needs.
///
/// The chains live in one layer, the other summed out of the weights (`Layer`): the visible
/// one, with log f_β(v) as above (Bernoulli units), or the hidden one, with
///
///     log f_β(h) = β·cᵀh + log Σ_v exp(V_β(v) + β·vᵀWh)   (`VisibleUnits.annealedSummedOutDifferences`),
///
/// where the visible layer — real values, or thousands of one-hot units — is summed or
/// integrated out exactly, which removes its noise from the weights. Both are marginals of one
/// joint path exp(−(1 − β)·E_A(v) − β·E_B(v, h)), so either gives the same log Z in expectation.
/// In the hidden layer a transition is v ~ P_β(v | h), then h ~ σ(β·(c + vᵀW)).
///
/// Chain r of the group reads row `firstChain + r` of every random stream, so the numbers a
/// chain draws do not depend on how the chains are grouped or which worker runs the group. One
/// group belongs to one worker: a class for its buffers, freed with it.
final class AnnealingChains {
    typealias Layer = AnnealedImportanceSampling.Layer

    let layer: Layer
    let model: RBMModel
    let baseVisibleBias: [Float]
    /// b_B − b_A, in double precision.
    let biasDifference: [Double]
    let count: Int
    let firstChain: Int
    /// The chains' visible states, `count` × n_visible.
    let visible: UnsafeMutablePointer<Float>
    /// x = c + vᵀW of the current states (`computeHiddenInput`), `count` × n_hidden.
    let hiddenInput: UnsafeMutablePointer<Float>
    let hidden: UnsafeMutablePointer<Float>
    /// hWᵀ of the hidden states (hidden layer: `prepareRatio`; visible layer: scratch).
    let visibleInput: UnsafeMutablePointer<Float>
    private let zeroBias: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    private let halves: UnsafeMutablePointer<Float>
    /// Hidden layer: `visibleInput` already holds hWᵀ of the current states (after a forward
    /// jump), so the next `prepareRatio` need not form it again.
    private var visibleInputIsCurrent = false

    init(model: RBMModel, baseVisibleBias: [Float], chains: Range<Int>, layer: Layer) {
        self.layer = layer
        self.model = model
        self.baseVisibleBias = baseVisibleBias
        self.biasDifference = zip(model.visibleBias, baseVisibleBias).map { Double($0 - $1) }
        self.count = chains.count
        self.firstChain = chains.lowerBound
        func buffer(_ size: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, size))
            pointer.initialize(repeating: 0, count: max(1, size))
            return pointer
        }
        visible = buffer(count * model.visibleCount)
        hiddenInput = buffer(count * model.hiddenCount)
        hidden = buffer(count * model.hiddenCount)
        visibleInput = buffer(count * model.visibleCount)
        zeroBias = buffer(max(model.visibleCount, model.hiddenCount))
        scratch = buffer(2 * model.visibleCount)
        halves = buffer(count * model.hiddenCount)
        for index in 0..<(count * model.hiddenCount) { halves[index] = 0.5 }
    }

    deinit {
        for pointer in [visible, hiddenInput, hidden, visibleInput, zeroBias, scratch, halves] { pointer.deallocate() }
    }

    /// A chain's start drawn from the base model, whose layers are independent: v ~ p_A in the
    /// visible layer, h ~ Bernoulli(½) in the hidden one.
    func start(_ stream: RandomStream) {
        switch layer {
        case .visible:
            drawFromBase(stream)
        case .hidden:
            let first = firstChain
            GibbsHalfStep.drawBernoulli(stream, rows: count, stride: model.hiddenCount, units: 0..<model.hiddenCount,
                                        streamRow: { first + $0 }, probabilities: halves, into: hidden)
        }
    }

    /// A chain's start at data points (`rows` in `data`, n_visible apart): v* itself, or in the
    /// hidden layer h ~ P(h | v*) of the model, with the numbers of `stream`.
    func start(at data: UnsafePointer<Float>, rows: [Int], _ stream: RandomStream) {
        let nv = model.visibleCount, nh = model.hiddenCount, first = firstChain
        for (r, row) in rows.enumerated() { (visible + r * nv).update(from: data + row * nv, count: nv) }
        guard layer == .hidden else { return }
        computeHiddenInput()
        for index in 0..<(count * nh) { hidden[index] = hiddenInput[index] }
        Logistic.applyWithBias(hidden, rows: count, columns: nh, bias: zeroBias)
        GibbsHalfStep.drawBernoulli(stream, rows: count, stride: nh, units: 0..<nh, streamRow: { first + $0 },
                                    probabilities: hidden, into: hidden)
    }

    /// What the log-ratio and the next transition need of the current states: x = c + vᵀW
    /// (visible layer) or hWᵀ (hidden layer).
    func prepareRatio() {
        switch layer {
        case .visible:
            computeHiddenInput()
        case .hidden:
            // A forward jump has just formed hWᵀ of the states it left.
            guard !visibleInputIsCurrent else {
                visibleInputIsCurrent = false
                return
            }
            model.weights.withUnsafeBufferPointer { w in
                BLAS.gemm(m: count, n: model.visibleCount, k: model.hiddenCount, a: hidden, b: w.baseAddress!,
                          transposeB: true, c: visibleInput)
            }
        }
    }

    /// `addLogRatio`, returning the sum over the chains of what it added: the step's increment
    /// summed over the group (`Estimate.meanIncrements`).
    func addLogRatioSummed(from beta0: Double, to beta1: Double, into logWeights: inout [Double]) -> Double {
        let before = logWeights.reduce(0, +)
        addLogRatio(from: beta0, to: beta1, into: &logWeights)
        return logWeights.reduce(0, +) - before
    }

    /// Adds log f_β₁ − log f_β₀ of each chain's current state (prepared) to `logWeights[r]`.
    func addLogRatio(from beta0: Double, to beta1: Double, into logWeights: inout [Double]) {
        guard layer == .hidden else { return addVisibleLogRatio(from: beta0, to: beta1, into: &logWeights) }
        let nv = model.visibleCount, nh = model.hiddenCount
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { differences in
            model.visibleUnits.annealedSummedOutDifferences(visibleInput, rows: count, count: nv, from: Float(beta0),
                                                            to: Float(beta1), base: baseVisibleBias, modelBias: model.visibleBias,
                                                            scratch: scratch, into: differences.baseAddress!)
            for r in 0..<count {
                logWeights[r] += (beta1 - beta0) * hiddenBiasTerm(hidden + r * nh) + differences[r]
            }
        }
    }

    /// cᵀh of one chain's hidden state (n_hidden floats at `state`), in double precision.
    func hiddenBiasTerm(_ state: UnsafePointer<Float>) -> Double {
        var term = 0.0
        for j in 0..<model.hiddenCount where state[j] != 0 { term += Double(model.hiddenBias[j]) }
        return term
    }

    /// One transition T_β from the current (prepared) states, drawing with the numbers of
    /// `hiddenStream` and `visibleStream`, with a mode jump (`AnnealingGuide`) drawn from
    /// `jump`'s stream when given; leaves the preparation stale. In the visible layer the jump
    /// sits between the halves (v → h → jump → v); in the hidden layer it follows the Gibbs step,
    /// or precedes it when `reversed` (reverse annealing runs each transition's time-reversal).
    func transition(beta: Float, hiddenStream: RandomStream, visibleStream: RandomStream,
                    jump: (proposals: AnnealingProposals, stream: RandomStream)? = nil, reversed: Bool = false) {
        guard layer == .hidden else {
            return gibbsStep(beta: beta, hiddenStream: hiddenStream, visibleStream: visibleStream, jump: jump)
        }
        if let jump, reversed { modeJump(beta: beta, proposal: jump.proposals.table(beta: beta), stream: jump.stream) }
        let nh = model.hiddenCount, first = firstChain
        drawVisible(beta: beta, visibleStream)
        computeHiddenInput()
        for index in 0..<(count * nh) { hidden[index] = beta * hiddenInput[index] }
        Logistic.applyWithBias(hidden, rows: count, columns: nh, bias: zeroBias)
        GibbsHalfStep.drawBernoulli(hiddenStream, rows: count, stride: nh, units: 0..<nh, streamRow: { first + $0 },
                                    probabilities: hidden, into: hidden)
        if let jump, !reversed {
            prepareRatio()
            modeJump(beta: beta, proposal: jump.proposals.table(beta: beta), stream: jump.stream)
            visibleInputIsCurrent = true
        }
    }

    /// v ~ p_A: the base model's independent visible units, with the uniforms of `stream` (the
    /// path's draw at β = 0).
    func drawFromBase(_ stream: RandomStream) {
        let nv = model.visibleCount, first = firstChain
        visibleInput.update(repeating: 0, count: count * nv)
        if model.visibleUnits.drawAnnealed(stream, rows: count, count: nv, streamRow: { first + $0 }, input: visibleInput, beta: 0,
                                           base: baseVisibleBias, modelBias: model.visibleBias, into: visible) {
            return
        }
        for r in 0..<count {
            for i in 0..<nv { visibleInput[r * nv + i] = baseVisibleBias[i] }
        }
        model.visibleUnits.applyMeans(to: visibleInput, rows: count, columns: nv, bias: zeroBias)
        GibbsHalfStep.drawVisible(model.visibleUnits, stream, rows: count, count: nv, streamRow: { first + $0 },
                                  means: visibleInput, into: visible)
    }

    /// x = c + vᵀW for the current visible states.
    func computeHiddenInput() {
        model.weights.withUnsafeBufferPointer { w in
            RBMKernels.affine(visible: visible, rows: count, weights: w.baseAddress!, hiddenBias: model.hiddenBias,
                              visibleCount: model.visibleCount, hiddenCount: model.hiddenCount, into: hiddenInput)
        }
    }

    /// Adds log f_β₁(v) − log f_β₀(v) of each chain's current state (whose x is computed) to
    /// `logWeights[r]`.
    private func addVisibleLogRatio(from beta0: Double, to beta1: Double, into logWeights: inout [Double]) {
        let nv = model.visibleCount, nh = model.hiddenCount
        let deltaBeta = beta1 - beta0
        let previous = Float(beta0), current = Float(beta1)
        for r in 0..<count {
            let visibleTerm = model.visibleUnits.annealingTerm(visible + r * nv, count: nv, modelBias: model.visibleBias,
                                                               base: baseVisibleBias, biasDifference: biasDifference)
            logWeights[r] += deltaBeta * visibleTerm
                + Logistic.softplusDifferenceSum(hiddenInput + r * nh, count: nh, from: previous, to: current)
        }
    }

    /// One transition T_β of the visible layer from states whose x is computed: h ~ σ(β·x) with
    /// the numbers of `hiddenStream`, then v ~ P(v | h) (`drawVisible`). Leaves x stale.
    private func gibbsStep(beta: Float, hiddenStream: RandomStream, visibleStream: RandomStream,
                           jump: (proposals: AnnealingProposals, stream: RandomStream)?) {
        let nv = model.visibleCount, nh = model.hiddenCount, n = count, first = firstChain
        for index in 0..<(n * nh) { hidden[index] = beta * hiddenInput[index] }
        Logistic.applyWithBias(hidden, rows: n, columns: nh, bias: zeroBias)
        GibbsHalfStep.drawBernoulli(hiddenStream, rows: n, stride: nh, units: 0..<nh, streamRow: { first + $0 },
                                    probabilities: hidden, into: hidden)
        model.weights.withUnsafeBufferPointer { w in
            BLAS.gemm(m: n, n: nv, k: nh, a: hidden, b: w.baseAddress!, transposeB: true, c: visibleInput)
        }
        if let jump { modeJump(beta: beta, proposal: jump.proposals.table(beta: beta), stream: jump.stream) }
        drawVisible(beta: beta, visibleStream)
    }

    /// v ~ P(v | h) at visible biases (1 − β)·b_A + β·(b_B + Wh), from hWᵀ in `visibleInput`
    /// (overwritten), with the numbers of `stream` (or the kind's own draw, `drawAnnealed`).
    private func drawVisible(beta: Float, _ visibleStream: RandomStream) {
        let nv = model.visibleCount, n = count, first = firstChain
        if model.visibleUnits.drawAnnealed(visibleStream, rows: n, count: nv, streamRow: { first + $0 }, input: visibleInput,
                                           beta: beta, base: baseVisibleBias, modelBias: model.visibleBias, into: visible) {
            return
        }
        model.visibleBias.withUnsafeBufferPointer { modelBias in
            baseVisibleBias.withUnsafeBufferPointer { baseBias in
                for r in 0..<n {
                    for i in 0..<nv {
                        visibleInput[r * nv + i] = (1 - beta) * baseBias[i] + beta * (modelBias[i] + visibleInput[r * nv + i])
                    }
                }
            }
        }
        model.visibleUnits.applyMeans(to: visibleInput, rows: n, columns: nv, bias: zeroBias)
        GibbsHalfStep.drawVisible(model.visibleUnits, visibleStream, rows: n, count: nv, streamRow: { first + $0 },
                                  means: visibleInput, into: visible)
    }
}
