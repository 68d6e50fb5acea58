import Foundation
import RBM

/// Direct, double-precision evaluations of the RBM formulas, written independently of the
/// library's BLAS kernels, for the tests to hold the library to.
enum Reference {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    static func hiddenProbabilities(_ model: RBMModel, _ v: [Float]) -> [Double] {
        (0..<model.hiddenCount).map { j in
            var x = Double(model.hiddenBias[j])
            for i in 0..<model.visibleCount { x += Double(v[i]) * Double(model.weights[i * model.hiddenCount + j]) }
            return sigmoid(x)
        }
    }

    static func visibleProbabilities(_ model: RBMModel, _ h: [Float]) -> [Double] {
        (0..<model.visibleCount).map { i in
            var x = Double(model.visibleBias[i])
            for j in 0..<model.hiddenCount { x += Double(h[j]) * Double(model.weights[i * model.hiddenCount + j]) }
            return sigmoid(x)
        }
    }

    /// E(v, h) = −bᵀv − cᵀh − vᵀWh.
    static func energy(_ model: RBMModel, _ v: [Float], _ h: [Float]) -> Double {
        var e = 0.0
        for i in 0..<model.visibleCount { e -= Double(model.visibleBias[i]) * Double(v[i]) }
        for j in 0..<model.hiddenCount { e -= Double(model.hiddenBias[j]) * Double(h[j]) }
        for i in 0..<model.visibleCount {
            for j in 0..<model.hiddenCount {
                e -= Double(v[i]) * Double(model.weights[i * model.hiddenCount + j]) * Double(h[j])
            }
        }
        return e
    }

    /// F(v) = −log Σ_h e^(−E(v,h)), by enumerating h (small models only).
    static func freeEnergyByEnumeration(_ model: RBMModel, _ v: [Float]) -> Double {
        let terms = allStates(model.hiddenCount).map { -energy(model, v, $0) }
        return -logSumExp(terms)
    }

    /// log Z by enumerating both layers (tiny models only).
    static func logPartitionByBruteForce(_ model: RBMModel) -> Double {
        var terms: [Double] = []
        for v in allStates(model.visibleCount) {
            for h in allStates(model.hiddenCount) { terms.append(-energy(model, v, h)) }
        }
        return logSumExp(terms)
    }

    static func allStates(_ units: Int) -> [[Float]] {
        (0..<(1 << units)).map { state in (0..<units).map { Float(state >> $0 & 1) } }
    }

    /// A model with weights ~ N(0, scale²) and biases ~ N(0, (scale/2)²), keyed by seed.
    static func randomModel(visible: Int, hidden: Int, scale: Float, seed: UInt64) -> RBMModel {
        let stream = RandomStream(seed: seed, purpose: .evaluation)
        func draw(_ row: Int, _ index: Int) -> Float { Float(stream.normal(row: UInt32(row), index: UInt32(index))) }
        return RBMModel(
            visibleCount: visible, hiddenCount: hidden,
            weights: (0..<(visible * hidden)).map { draw(0, $0) * scale },
            visibleBias: (0..<visible).map { draw(1, $0) * scale / 2 },
            hiddenBias: (0..<hidden).map { draw(2, $0) * scale / 2 })
    }

    /// Random binary rows, keyed by seed.
    static func randomBinary(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        let stream = RandomStream(seed: seed, purpose: .evaluation, step: 1)
        return (0..<(rows * columns)).map { Float(stream.bits64(row: 0, index: UInt32($0)) & 1) }
    }
}

/// Runs `body` on a thread of its own and waits for its result: what a per-thread switch set on
/// the calling thread leaves elsewhere.
func onAnotherThread<T>(_ body: @escaping () -> T) -> T {
    let box = ThreadResult(body), done = DispatchSemaphore(value: 0)
    let thread = Thread { box.value = box.body(); done.signal() }
    thread.start()
    done.wait()
    return box.value!
}

/// The body `onAnotherThread` runs and its result, handed between the two threads (the caller
/// waits on the semaphore, so they never touch it at once).
private final class ThreadResult<T>: @unchecked Sendable {
    let body: () -> T
    var value: T?
    init(_ body: @escaping () -> T) { self.body = body }
}
