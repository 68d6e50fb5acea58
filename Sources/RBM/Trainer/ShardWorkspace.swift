/// The memory one shard owns during an update. No other shard writes to it.
///
/// `stackedVisible` holds the shard's data rows v⁰ above its negative-phase visible states vᵏ
/// (2n × n_visible); `stackedHidden` holds P(h|v⁰) above −P(h|vᵏ) (2n × n_hidden). With that
/// layout one GEMM gives the shard's whole weight statistic
///
///     G = [v⁰; vᵏ]ᵀ [P(h|v⁰); −P(h|vᵏ)] = Σ_r v⁰_r P(h|v⁰_r)ᵀ − Σ_r vᵏ_r P(h|vᵏ_r)ᵀ,
///
/// and one GEMV each gives the bias statistics Σ(v⁰ − vᵏ) and Σ(P(h|v⁰) − P(h|vᵏ)).
final class ShardWorkspace: @unchecked Sendable {
    let rows: Int
    let stackedVisible: UnsafeMutablePointer<Float>
    let stackedHidden: UnsafeMutablePointer<Float>
    let hiddenSamples: UnsafeMutablePointer<Float>
    /// +1 for the n data rows, −1 for the n negative rows.
    let visibleSigns: UnsafeMutablePointer<Float>
    let ones: UnsafeMutablePointer<Float>
    /// All of the shard's statistics, contiguous: the weight statistic (n_visible × n_hidden),
    /// then the visible and the hidden bias statistics. Ranks exchange pieces of it.
    let statistics: UnsafeMutablePointer<Float>
    let statisticsCount: Int
    /// Centering only: Σ P(h|v⁰) over the shard's data rows (n_hidden), after the bias
    /// statistics in `statistics`.
    let dataHiddenSums: UnsafeMutablePointer<Float>?
    /// Parallel tempering only: the hidden pre-activations vW (without the bias) and hidden
    /// samples of the shard's chains at every temperature (n·M rows); and the swaps tried and
    /// accepted per pair of neighbouring temperatures in the last update.
    let temperedPreactivations: UnsafeMutablePointer<Float>?
    let temperedHiddenSamples: UnsafeMutablePointer<Float>?
    /// Hidden blocks only (H > 1): block b's part of the visible pre-activations, h_b·W_bᵀ
    /// (n × n_visible each, block after block); their sum over b is h·Wᵀ.
    let visiblePartials: UnsafeMutablePointer<Float>?
    /// Visible blocks only (V > 1): the blocks' own buffers.
    let visibleBlocks: VisibleBlockScratch?
    var swapAttempts: [Int]
    var swapAcceptances: [Int]
    /// n_visible × n_hidden; reused by the reduction as the tree's partial sums.
    let weightStatistics: UnsafeMutablePointer<Float>
    let visibleBiasStatistics: UnsafeMutablePointer<Float>
    let hiddenBiasStatistics: UnsafeMutablePointer<Float>
    private let allocations: [(UnsafeMutablePointer<Float>?, Int)]

    /// `temperedChainsPerRow`: parallel tempering's M (nil for the other samplers).
    init(rows: Int, visibleCount: Int, hiddenCount: Int, dataHiddenSums withSums: Bool = false,
         temperedChainsPerRow: Int? = nil, hiddenBlocks: Int = 1, visibleBlocks: Int = 1) {
        let chainsPerRow = temperedChainsPerRow ?? 1
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        self.rows = rows
        stackedVisible = allocate(2 * rows * visibleCount)
        stackedHidden = allocate(2 * rows * hiddenCount)
        hiddenSamples = allocate(rows * hiddenCount)
        visibleSigns = allocate(2 * rows)
        ones = allocate(2 * rows)
        statisticsCount = visibleCount * hiddenCount + visibleCount + hiddenCount + (withSums ? hiddenCount : 0)
        statistics = allocate(statisticsCount)
        weightStatistics = statistics
        visibleBiasStatistics = statistics + visibleCount * hiddenCount
        hiddenBiasStatistics = visibleBiasStatistics + visibleCount
        dataHiddenSums = withSums ? hiddenBiasStatistics + hiddenCount : nil
        let tempered = temperedChainsPerRow != nil
        temperedPreactivations = tempered ? allocate(rows * chainsPerRow * hiddenCount) : nil
        temperedHiddenSamples = tempered ? allocate(rows * chainsPerRow * hiddenCount) : nil
        visiblePartials = hiddenBlocks > 1 ? allocate(hiddenBlocks * rows * visibleCount) : nil
        self.visibleBlocks = visibleBlocks > 1 ? VisibleBlockScratch(rows: rows, hiddenCount: hiddenCount, blocks: visibleBlocks) : nil
        swapAttempts = [Int](repeating: 0, count: max(0, chainsPerRow - 1))
        swapAcceptances = swapAttempts
        for r in 0..<(2 * rows) {
            visibleSigns[r] = r < rows ? 1 : -1
            ones[r] = 1
        }
        allocations = [
            (stackedVisible, 2 * rows * visibleCount), (stackedHidden, 2 * rows * hiddenCount),
            (hiddenSamples, rows * hiddenCount), (visibleSigns, 2 * rows), (ones, 2 * rows),
            (statistics, statisticsCount),
            (temperedPreactivations, 0), (temperedHiddenSamples, 0), (visiblePartials, 0),
        ]
    }

    deinit {
        for (pointer, _) in allocations { pointer?.deallocateCacheAligned() }
    }
}
