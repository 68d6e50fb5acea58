/// The negative phase by Gibbs sampling (CD-k, PCD-k, FPCD-k); parallel tempering's is in
/// `DataParallelTrainer+Tempering.swift`, Langevin's in `DataParallelTrainer+Langevin.swift`.
extension DataParallelTrainer {
    /// The negative phase of CD-k, PCD-k and FPCD-k for one shard's rows: k Gibbs steps from
    /// h ~ `start` (CD: P(h|v⁰)) or from the persistent chains' P(h|v), leaving vᵏ and P(h|vᵏ)
    /// below the data rows of the shard's stacked buffers. FPCD's chains sample from the
    /// parameters plus the fast parameters.
    func runChains(workspace: ShardWorkspace, rows rowRange: Range<Int>, start dataHidden: UnsafePointer<Float>) {
        let n = rowRange.count
        let nv = visibleCount
        let nh = hiddenCount
        let negativeVisible = workspace.stackedVisible + n * nv
        let negativeHidden = workspace.stackedHidden + n * nh
        let sampling = samplingParameters
        let negativeWeights = UnsafePointer(sampling.weights)
        let negativeVisibleBias = UnsafePointer(sampling.visibleBias)
        let negativeHiddenBias = UnsafePointer(sampling.hiddenBias)
        // The chains start from h ~ P(h|v⁰) (CD) or from the persistent chains' P(h|v) (PCD).
        let startingProbabilities = chains.map { UnsafePointer($0.hiddenProbabilities + rowRange.lowerBound * nh) }
            ?? dataHidden
        for gibbsStep in 0..<configuration.gibbsSteps {
            let hiddenStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .hidden)
            let source = gibbsStep == 0 ? startingProbabilities : UnsafePointer(negativeHidden)
            GibbsHalfStep.drawBernoulli(hiddenStream, rows: n, stride: nh, units: 0..<nh, streamRow: { rowRange.lowerBound + $0 },
                                        probabilities: source, into: workspace.hiddenSamples)
            // vᵏ ~ P(v|h) (σ(hWᵀ + b) for Bernoulli units; see VisibleUnits), then P(h|vᵏ).
            RBMKernels.visibleMeans(units: visibleUnits, hidden: workspace.hiddenSamples, rows: n, weights: negativeWeights,
                                    visibleBias: negativeVisibleBias, visibleCount: nv, hiddenCount: nh,
                                    into: negativeVisible)
            let visibleStream = RandomStream.gibbs(seed: configuration.seed, step: step, gibbsStep: gibbsStep, half: .visible)
            GibbsHalfStep.drawVisible(visibleUnits, visibleStream, rows: n, count: nv, streamRow: { rowRange.lowerBound + $0 },
                                      means: negativeVisible, into: negativeVisible)
            RBMKernels.hiddenProbabilities(visible: negativeVisible, rows: n, weights: negativeWeights,
                                           hiddenBias: negativeHiddenBias, visibleCount: nv, hiddenCount: nh,
                                           into: negativeHidden)
        }
        if let chains {
            (chains.visible + rowRange.lowerBound * nv).update(from: negativeVisible, count: n * nv)
            (chains.hiddenProbabilities + rowRange.lowerBound * nh)
                .update(from: negativeHidden, count: n * nh)
        }
    }
}
