/// Exact partition function by enumerating the smaller layer.
///
/// Summing out the larger layer analytically leaves 2^m terms for the smaller layer's m units:
///
///     enumerate h:  log Z = log Σ_h exp(cᵀh + Σ_i softplus(b_i + (Wh)_i))
///     enumerate v:  log Z = log Σ_v exp(−F(v))
///
/// Terms are computed in chunks of states (one GEMM per chunk), each chunk reduced with
/// log-sum-exp in double precision, and the chunks combined in order. With Gaussian or
/// categorical visible units the hidden layer is always the one enumerated (a = Wh):
///
///     Gaussian:     log Z = (n_v/2)·log 2π + log Σ_h exp(cᵀh + Σ_i (b_i a_i + a_i²/2))
///     categorical:  log Z = log Σ_h exp(cᵀh + Σ_groups log Σ_a exp(b_ga + a_ga))
extension RBMModel {
    /// The largest smaller layer `exactLogPartitionFunction` accepts (2^30 terms).
    public static let exactEnumerationLimit = 30

    /// log Z, exactly. Requires min(n_visible, n_hidden) ≤ `exactEnumerationLimit` (n_hidden
    /// for Gaussian and categorical visible units).
    /// Under several `ranks` the chunks of states are split between them and combined in the
    /// same order: the same value, bit for bit.
    public func exactLogPartitionFunction(workers: Int = 1, ranks: any RankGroup = SingleProcess()) -> Double {
        let enumerateHidden = hiddenCount <= visibleCount || !visibleUnits.isBinary
        let units = enumerateHidden ? hiddenCount : visibleCount
        precondition(units <= Self.exactEnumerationLimit,
                     "exact log Z needs a layer of at most \(Self.exactEnumerationLimit) units")
        let other = enumerateHidden ? visibleCount : hiddenCount
        let enumeratedBias = enumerateHidden ? hiddenBias : visibleBias
        let otherBias = enumerateHidden ? visibleBias : hiddenBias
        let stateCount = 1 << units
        // Chunks of up to 4,096 states, fewer when the other layer is wide, so that a chunk's
        // pre-activations stay within 16 MB (2²² floats): glibc then reuses the freed block for
        // the next chunk instead of mapping (and faulting in) fresh pages for every one.
        let chunkSize = min(stateCount, 4096, max(1, (1 << 22) / max(other, 1)))
        let transfer = UnsafeTransfer(self)
        let chunkLogSums = DataParallel.mapChunks(count: stateCount, chunkSize: chunkSize,
                                                  workers: workers, ranks: ranks) { range -> [Double] in
            let model = transfer.value
            let n = range.count
            var states = [Float](repeating: 0, count: n * units)
            for (row, state) in range.enumerated() {
                for unit in 0..<units where state >> unit & 1 == 1 { states[row * units + unit] = 1 }
            }
            // Preactivations of the summed-out layer: states·Wᵀ (hidden states) or states·W.
            var preactivations = [Float](repeating: 0, count: n * other)
            model.weights.withUnsafeBufferPointer { w in
                states.withUnsafeBufferPointer { s in
                    preactivations.withUnsafeMutableBufferPointer { p in
                        BLAS.gemm(m: n, n: other, k: units, a: s.baseAddress!, b: w.baseAddress!,
                                  transposeB: enumerateHidden, c: p.baseAddress!)
                    }
                }
            }
            var terms = [Double](repeating: 0, count: n)
            preactivations.withUnsafeBufferPointer { p in
                otherBias.withUnsafeBufferPointer { bias in
                    for row in 0..<n {
                        var term = 0.0
                        for unit in 0..<units where states[row * units + unit] == 1 {
                            term += Double(enumeratedBias[unit])
                        }
                        term += model.summedOutVisibleTerm(p.baseAddress! + row * other, bias: bias.baseAddress!,
                                                           enumerateHidden: enumerateHidden)
                        terms[row] = term
                    }
                }
            }
            return [logSumExp(terms)]
        }
        // Learned variances: the sum is the unit-variance model's; log Z_v = log Z_u + Σ log σ_i.
        return logSumExp(chunkLogSums.map { $0[0] }) + visibleUnits.logPartitionConstant(visibleCount: visibleCount)
            + logScaleDeterminant
    }

    /// The log of the sum (or integral) over the layer not enumerated, for pre-activations a
    /// (without its bias): the visible units' own (`VisibleUnits.summedOut`) when the hidden
    /// states are enumerated, Σ softplus(c + a) over the hidden units otherwise.
    func summedOutVisibleTerm(_ a: UnsafePointer<Float>, bias: UnsafePointer<Float>, enumerateHidden: Bool) -> Double {
        enumerateHidden ? visibleUnits.summedOut(a, bias: bias, count: visibleCount)
            : Logistic.softplusSum(a, offset: bias, count: hiddenCount)
    }

    /// Mean log p(v) = −F(v) − log Z over `rows` visible vectors.
    public func averageLogLikelihood(visible: [Float], rows: Int, logPartitionFunction: Double,
                                     workers: Int = 1) -> Double {
        -Monitoring.meanFreeEnergy(model: self, visible: visible, rows: rows, workers: workers)
            - logPartitionFunction
    }
}
