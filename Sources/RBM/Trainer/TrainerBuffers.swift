/// W, b and c (or their velocities) in memory the workers can write through pointers.
final class ParameterBuffers: @unchecked Sendable {
    let weights: UnsafeMutablePointer<Float>
    let visibleBias: UnsafeMutablePointer<Float>
    let hiddenBias: UnsafeMutablePointer<Float>
    let weightCount: Int
    let visibleCount: Int
    let hiddenCount: Int

    init(weights: [Float], visibleBias: [Float], hiddenBias: [Float]) {
        weightCount = weights.count
        visibleCount = visibleBias.count
        hiddenCount = hiddenBias.count
        self.weights = .allocateCacheAligned(capacity: weightCount)
        self.visibleBias = .allocateCacheAligned(capacity: visibleCount)
        self.hiddenBias = .allocateCacheAligned(capacity: hiddenCount)
        self.weights.initialize(from: weights, count: weightCount)
        self.visibleBias.initialize(from: visibleBias, count: visibleCount)
        self.hiddenBias.initialize(from: hiddenBias, count: hiddenCount)
    }

    var weightsArray: [Float] { Array(UnsafeBufferPointer(start: weights, count: weightCount)) }
    var visibleBiasArray: [Float] { Array(UnsafeBufferPointer(start: visibleBias, count: visibleCount)) }
    var hiddenBiasArray: [Float] { Array(UnsafeBufferPointer(start: hiddenBias, count: hiddenCount)) }

    deinit {
        weights.deallocateCacheAligned()
        visibleBias.deallocateCacheAligned()
        hiddenBias.deallocateCacheAligned()
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Uninitialized floats starting on a 64-byte cache line, so that blocks of columns whose
    /// boundaries fall on whole lines never share one between workers.
    static func allocateCacheAligned(capacity: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }

    func deallocateCacheAligned() { UnsafeMutableRawPointer(self).deallocate() }
}

/// PCD's persistent chains, one per minibatch row, sharded like the minibatch.
final class PersistentChains: @unchecked Sendable {
    let visible: UnsafeMutablePointer<Float>
    let hiddenProbabilities: UnsafeMutablePointer<Float>
    let visibleCount: Int
    let hiddenCount: Int

    init(visible: [Float], hiddenProbabilities: [Float]) {
        visibleCount = visible.count
        hiddenCount = hiddenProbabilities.count
        self.visible = .allocate(capacity: visibleCount)
        self.hiddenProbabilities = .allocate(capacity: hiddenCount)
        self.visible.initialize(from: visible, count: visibleCount)
        self.hiddenProbabilities.initialize(from: hiddenProbabilities, count: hiddenCount)
    }

    var visibleArray: [Float] { Array(UnsafeBufferPointer(start: visible, count: visibleCount)) }
    var hiddenArray: [Float] {
        Array(UnsafeBufferPointer(start: hiddenProbabilities, count: hiddenCount))
    }

    deinit {
        visible.deallocate()
        hiddenProbabilities.deallocate()
    }
}

/// Learned variances: z = log σ² per visible unit, its momentum buffer, and 1/σ = exp(−z/2),
/// which every update's data rows are multiplied by (refreshed after each step of z).
final class VarianceBuffers: @unchecked Sendable {
    let logVariance: UnsafeMutablePointer<Float>
    let velocity: UnsafeMutablePointer<Float>
    let inverseStandardDeviations: UnsafeMutablePointer<Float>
    let count: Int

    init(logVariance: [Float], velocity: [Float]) {
        count = logVariance.count
        precondition(velocity.count == count, "one velocity per log-variance")
        self.logVariance = .allocateCacheAligned(capacity: count)
        self.velocity = .allocateCacheAligned(capacity: count)
        inverseStandardDeviations = .allocateCacheAligned(capacity: count)
        self.logVariance.initialize(from: logVariance, count: count)
        self.velocity.initialize(from: velocity, count: count)
        inverseStandardDeviations.initialize(repeating: 0, count: count)
        refreshScales(0..<count)
    }

    /// 1/σ_i for units `units` from their z_i.
    func refreshScales(_ units: Range<Int>) {
        for i in units { inverseStandardDeviations[i] = RBMModel.inverseStandardDeviation(logVariance: logVariance[i]) }
    }

    var logVarianceArray: [Float] { Array(UnsafeBufferPointer(start: logVariance, count: count)) }
    var velocityArray: [Float] { Array(UnsafeBufferPointer(start: velocity, count: count)) }

    deinit {
        logVariance.deallocateCacheAligned()
        velocity.deallocateCacheAligned()
        inverseStandardDeviations.deallocateCacheAligned()
    }
}
