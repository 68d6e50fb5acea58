/// The elementwise kernels of the update, written with explicit SIMD so that the order of
/// operations on each element is fixed. The loops share their shape (8-wide body, scalar
/// tail) on purpose: a shared loop taking the body as a closure would leave the speed of the
/// reduction's hot path to the optimizer's inlining; short explicit loops do not.
enum ParameterUpdate {
    static func add(_ source: UnsafeMutablePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                    count: Int) {
        let vectorCount = count / 8 * 8
        let rawSource = UnsafeRawPointer(source)
        let rawDestination = UnsafeMutableRawPointer(destination)
        var index = 0
        while index < vectorCount {
            let offset = index * 4
            let sum = rawDestination.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                + rawSource.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            rawDestination.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            destination[index] += source[index]
            index += 1
        }
    }

    /// Δ ← μΔ + ε(scale·G − λθ);  θ ← θ + Δ.
    static func momentumStep(
        parameters: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
        statistics: UnsafeMutablePointer<Float>, count: Int, scale: Float, weightDecay: Float,
        hyperparameters: UpdateHyperparameters
    ) {
        let epsilon = hyperparameters.learningRate
        let mu = hyperparameters.momentum
        let vectorCount = count / 8 * 8
        let rawParameters = UnsafeMutableRawPointer(parameters)
        let rawVelocity = UnsafeMutableRawPointer(velocity)
        let rawStatistics = UnsafeRawPointer(statistics)
        var index = 0
        while index < vectorCount {
            let offset = index * 4
            let theta = rawParameters.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let g = rawStatistics.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let delta = rawVelocity.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let gradient = scale * g - weightDecay * theta
            let step = mu * delta + epsilon * gradient
            rawVelocity.storeBytes(of: step, toByteOffset: offset, as: SIMD8<Float>.self)
            rawParameters.storeBytes(of: theta + step, toByteOffset: offset, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            let gradient = scale * statistics[index] - weightDecay * parameters[index]
            let step = mu * velocity[index] + epsilon * gradient
            velocity[index] = step
            parameters[index] += step
            index += 1
        }
    }

    /// Δ ← Δ − d·θ;  θ ← θ + Δ (the rest of the momentum rule once Δ holds μΔ + (ε/B)·G;
    /// d = ελ).
    static func decayAndApply(parameters: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
                              count: Int, decay: Float) {
        let vectorCount = count / 8 * 8
        let rawParameters = UnsafeMutableRawPointer(parameters)
        let rawVelocity = UnsafeMutableRawPointer(velocity)
        var index = 0
        while index < vectorCount {
            let offset = index * 4
            let theta = rawParameters.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let step = rawVelocity.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) - decay * theta
            rawVelocity.storeBytes(of: step, toByteOffset: offset, as: SIMD8<Float>.self)
            rawParameters.storeBytes(of: theta + step, toByteOffset: offset, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            let step = velocity[index] - decay * parameters[index]
            velocity[index] = step
            parameters[index] += step
            index += 1
        }
    }

    /// ½(scale·T − 1): the batch-averaged gradient in z = log σ² from the summed statistic T
    /// (`DataParallelTrainer.varianceStatistics`).
    @inline(__always)
    static func logVarianceGradient(statistic: Float, scale: Float) -> Float { 0.5 * (scale * statistic - 1) }

    /// θ ← d·θ + r·G (FPCD's fast parameters; no momentum).
    static func decayingStep(_ parameters: UnsafeMutablePointer<Float>, statistics: UnsafePointer<Float>, count: Int,
                             decay: Float, rate: Float) {
        for index in 0..<count {
            parameters[index] = decay * parameters[index] + rate * statistics[index]
        }
    }
}
