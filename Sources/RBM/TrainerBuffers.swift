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
        self.weights = .allocate(capacity: weightCount)
        self.visibleBias = .allocate(capacity: visibleCount)
        self.hiddenBias = .allocate(capacity: hiddenCount)
        self.weights.initialize(from: weights, count: weightCount)
        self.visibleBias.initialize(from: visibleBias, count: visibleCount)
        self.hiddenBias.initialize(from: hiddenBias, count: hiddenCount)
    }

    var weightsArray: [Float] { Array(UnsafeBufferPointer(start: weights, count: weightCount)) }
    var visibleBiasArray: [Float] { Array(UnsafeBufferPointer(start: visibleBias, count: visibleCount)) }
    var hiddenBiasArray: [Float] { Array(UnsafeBufferPointer(start: hiddenBias, count: hiddenCount)) }

    deinit {
        weights.deallocate()
        visibleBias.deallocate()
        hiddenBias.deallocate()
    }
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
