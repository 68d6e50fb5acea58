/// The mode jump of `AnnealingGuide` on a group of chains.
extension AnnealingChains {
    /// One independence Metropolis–Hastings move on the hidden states `hidden`, whose hWᵀ is in
    /// `visibleInput`, at β with the proposal `proposal` (β's level of the guide): chain r reads
    /// row `firstChain + r` of `stream` — uniform 0 picks the component n, uniform 1 accepts,
    /// uniform 2 + j draws h'_j = [u < p_nj] — and takes h' (and h'Wᵀ) when
    ///
    ///     log u₁ < log f_β(h') − log f_β(h) + log q_β(h) − log q_β(h'),
    ///
    /// log f_β(h) = β·cᵀh + log Σ_v exp(V_β(v) + β·vᵀWh) up to a constant of β alone
    /// (`VisibleUnits.annealedSummedOut`), log q_β(h) = log Σ_n exp(Σ_j h_j·D_nj + s_n) − log N.
    func modeJump(beta: Float, proposal: AnnealingGuide.Proposal, stream: RandomStream) {
        let nv = model.visibleCount, nh = model.hiddenCount, n = count
        let components = proposal.offsets.count
        let draws = nh + 2
        // [h; h'] stacked, their hWᵀ, their log q terms per component, log f and log q per row.
        let stacked = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * nh)
        let proposedInput = UnsafeMutablePointer<Float>.allocate(capacity: n * nv)
        let componentTerms = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * components)
        let uniforms = UnsafeMutablePointer<Float>.allocate(capacity: n * draws)
        let logF = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        defer {
            stacked.deallocate(); proposedInput.deallocate(); componentTerms.deallocate(); uniforms.deallocate()
            logF.deallocate()
        }
        stacked.update(from: hidden, count: n * nh)
        let proposed = stacked + n * nh
        proposal.probabilities.withUnsafeBufferPointer { p in
            for r in 0..<n {
                let u = uniforms + r * draws
                stream.uniforms(row: UInt32(firstChain + r), count: draws, into: u)
                let component = min(components - 1, Int(u[0] * Float(components)))
                let row = p.baseAddress! + component * nh
                for j in 0..<nh { proposed[r * nh + j] = u[2 + j] < row[j] ? 1 : 0 }
            }
        }
        model.weights.withUnsafeBufferPointer { w in
            BLAS.gemm(m: n, n: nv, k: nh, a: proposed, b: w.baseAddress!, transposeB: true, c: proposedInput)
        }
        proposal.logOdds.withUnsafeBufferPointer { d in
            BLAS.gemm(m: 2 * n, n: components, k: nh, a: stacked, b: d.baseAddress!, transposeB: true, c: componentTerms)
        }
        for (index, input) in [visibleInput, proposedInput].enumerated() {
            model.visibleUnits.annealedSummedOut(input, rows: n, count: nv, beta: beta, base: baseVisibleBias,
                                                 modelBias: model.visibleBias, scratch: scratch, into: logF + index * n)
        }
        var terms = [Double](repeating: 0, count: components)
        func logProposal(_ row: Int) -> Double {
            for c in 0..<components { terms[c] = Double(componentTerms[row * components + c]) + proposal.offsets[c] }
            return logSumExp(terms)
        }
        for r in 0..<n {
            let current = hiddenBiasTerm(stacked + r * nh), candidate = hiddenBiasTerm(proposed + r * nh)
            let logRatio = Double(beta) * (candidate - current) + logF[n + r] - logF[r] + logProposal(r) - logProposal(n + r)
            guard _log(Double(uniforms[r * draws + 1])) < logRatio else { continue }
            (hidden + r * nh).update(from: proposed + r * nh, count: nh)
            (visibleInput + r * nv).update(from: proposedInput + r * nv, count: nv)
        }
    }
}
