import RBM

/// Where a resumed run starts: the trainer's state and its place in the epochs.
struct ResumePoint {
    var state: TrainerState
    var epoch: Int
    var batchInEpoch: Int
}

extension RankGroup {
    /// Rank 0's resume point on every rank (the others pass nil): only rank 0 reads the run
    /// folder. Sent as a header of counts, then the floats in a fixed order.
    func broadcast(_ point: ResumePoint?, visibleUnits: VisibleUnits) -> ResumePoint {
        var bytes: [UInt8] = []
        if isRoot, let point {
            let state = point.state
            let arrays: [[Float]] = [state.model.weights, state.model.visibleBias, state.model.hiddenBias,
                                     state.weightVelocity, state.visibleBiasVelocity, state.hiddenBiasVelocity,
                                     state.chainVisible ?? [], state.chainHiddenProbabilities ?? [],
                                     state.fastParameters?.weights ?? [], state.fastParameters?.visibleBias ?? [],
                                     state.fastParameters?.hiddenBias ?? [], state.visibleOffsets ?? [],
                                     state.hiddenOffsets ?? [], state.model.visibleLogVariance ?? [],
                                     state.logVarianceVelocity ?? []]
            let present = (state.chainVisible == nil ? 0 : 1) | (state.fastParameters == nil ? 0 : 2)
                | (state.visibleOffsets == nil ? 0 : 4) | (state.model.visibleLogVariance == nil ? 0 : 8)
                | (state.logVarianceVelocity == nil ? 0 : 16)
            let header: [Int64] = [Int64(state.step), Int64(point.epoch), Int64(point.batchInEpoch),
                                   Int64(state.model.visibleCount), Int64(state.model.hiddenCount),
                                   Int64(present)] + arrays.map { Int64($0.count) }
            header.withUnsafeBytes { bytes += $0 }
            for array in arrays { array.withUnsafeBytes { bytes += $0 } }
        }
        let received = broadcast(bytes, root: 0)
        return received.withUnsafeBytes { raw -> ResumePoint in
            let header = (0..<21).map { raw.load(fromByteOffset: 8 * $0, as: Int64.self) }.map(Int.init)
            var offset = 8 * 21
            let arrays = header[6...].map { count -> [Float] in
                defer { offset += 4 * count }
                return (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: Float.self) }
            }
            var model = RBMModel(visibleCount: header[3], hiddenCount: header[4], weights: arrays[0],
                                 visibleBias: arrays[1], hiddenBias: arrays[2], visibleUnits: visibleUnits)
            if header[5] & 8 != 0 { model.visibleLogVariance = arrays[13] }
            let hasChains = header[5] & 1 != 0
            var state = TrainerState(model: model, weightVelocity: arrays[3], visibleBiasVelocity: arrays[4],
                                     hiddenBiasVelocity: arrays[5], step: header[0],
                                     chainVisible: hasChains ? arrays[6] : nil,
                                     chainHiddenProbabilities: hasChains ? arrays[7] : nil)
            if header[5] & 2 != 0 {
                state.fastParameters = FastParameters(weights: arrays[8], visibleBias: arrays[9], hiddenBias: arrays[10])
            }
            if header[5] & 4 != 0 {
                state.visibleOffsets = arrays[11]
                state.hiddenOffsets = arrays[12]
            }
            if header[5] & 16 != 0 { state.logVarianceVelocity = arrays[14] }
            return ResumePoint(state: state, epoch: header[1], batchInEpoch: header[2])
        }
    }
}
