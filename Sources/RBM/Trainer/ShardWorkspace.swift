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
    /// What the plan's layout adds (parallel tempering's chains on row shards, the blocks'
    /// buffers): each case holds only its own memory.
    let layoutScratch: LayoutScratch
    /// n_visible × n_hidden; reused by the reduction as the tree's partial sums.
    let weightStatistics: UnsafeMutablePointer<Float>
    let visibleBiasStatistics: UnsafeMutablePointer<Float>
    let hiddenBiasStatistics: UnsafeMutablePointer<Float>
    private let allocations: [(UnsafeMutablePointer<Float>, Int)]

    /// Learned variances only: Σ_rows u(u − b) − Σ_j W_ij (Σ_rows u P(h|u)ᵀ)_ij over the shard's
    /// data rows (n_visible), last in `statistics` (`DataParallelTrainer.varianceStatistics`).
    let varianceStatistics: UnsafeMutablePointer<Float>?
    /// Langevin sampling only: the visible means b + P(h|u)Wᵀ, then the step's noise (n ×
    /// n_visible), and a row of zeros to draw the noise around; adjusted, also the proposal,
    /// its means, the drift (n × n_visible each) and the proposal's P(h|u') (n × n_hidden).
    let langevinScratch: UnsafeMutablePointer<Float>?
    let langevinScratchCount: Int
    /// Adjusted Langevin: proposals made and accepted by this shard's chains in the last update.
    var langevinProposals = 0
    var langevinAcceptances = 0

    init(rows: Int, visibleCount: Int, hiddenCount: Int, dataHiddenSums withSums: Bool = false,
         varianceStatistics withVariance: Bool = false, langevin: Bool = false, adjustedLangevin: Bool = false,
         layoutScratch: LayoutScratch = .rowShards) {
        let allocate = zeroedFloats
        self.rows = rows
        stackedVisible = allocate(2 * rows * visibleCount)
        stackedHidden = allocate(2 * rows * hiddenCount)
        hiddenSamples = allocate(rows * hiddenCount)
        visibleSigns = allocate(2 * rows)
        ones = allocate(2 * rows)
        statisticsCount = visibleCount * hiddenCount + visibleCount + hiddenCount + (withSums ? hiddenCount : 0)
            + (withVariance ? visibleCount : 0)
        statistics = allocate(statisticsCount)
        weightStatistics = statistics
        visibleBiasStatistics = statistics + visibleCount * hiddenCount
        hiddenBiasStatistics = visibleBiasStatistics + visibleCount
        dataHiddenSums = withSums ? hiddenBiasStatistics + hiddenCount : nil
        varianceStatistics = withVariance ? hiddenBiasStatistics + hiddenCount + (withSums ? hiddenCount : 0) : nil
        self.layoutScratch = layoutScratch
        let scratchCount = langevin ? (rows + 1) * visibleCount
            + (adjustedLangevin ? 3 * rows * visibleCount + rows * hiddenCount : 0) : 0
        langevinScratchCount = scratchCount
        langevinScratch = langevin ? allocate(scratchCount) : nil
        for r in 0..<(2 * rows) {
            visibleSigns[r] = r < rows ? 1 : -1
            ones[r] = 1
        }
        allocations = [
            (stackedVisible, 2 * rows * visibleCount), (stackedHidden, 2 * rows * hiddenCount),
            (hiddenSamples, rows * hiddenCount), (visibleSigns, 2 * rows), (ones, 2 * rows),
            (statistics, statisticsCount),
        ] + (langevinScratch.map { [($0, scratchCount)] } ?? [])
    }

    deinit {
        for (pointer, _) in allocations { pointer.deallocateCacheAligned() }
    }

    /// Parallel tempering's scratch (its layout is row shards with tempered chains).
    var tempered: TemperedScratch {
        guard case let .tempered(scratch) = layoutScratch else { preconditionFailure("the plan has no tempered chains") }
        return scratch
    }

    /// The hidden-block layout's scratch.
    var hiddenBlocks: HiddenBlockScratch {
        guard case let .hiddenBlocks(scratch) = layoutScratch else { preconditionFailure("the plan's layout is not hidden blocks") }
        return scratch
    }

    /// The visible-block layout's scratch.
    var visibleBlocks: VisibleBlockScratch {
        guard case let .visibleBlocks(scratch) = layoutScratch else { preconditionFailure("the plan's layout is not visible blocks") }
        return scratch
    }
}

/// `count` zeroed floats, cache-aligned (freed with `deallocateCacheAligned`).
func zeroedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let pointer = UnsafeMutablePointer<Float>.allocateCacheAligned(capacity: count)
    pointer.initialize(repeating: 0, count: count)
    return pointer
}

/// What a shard needs beyond the buffers every layout uses, by the plan's layout.
enum LayoutScratch {
    /// Row shards with one chain per row (CD, PCD, FPCD): nothing more.
    case rowShards
    /// Row shards with parallel tempering's M chains per row.
    case tempered(TemperedScratch)
    case hiddenBlocks(HiddenBlockScratch)
    case visibleBlocks(VisibleBlockScratch)

    /// The scratch `plan`'s layout needs for a shard of `rows` rows.
    init(_ plan: StepPlan, configuration: TrainerConfiguration, rows: Int, visibleCount: Int, hiddenCount: Int) {
        switch plan.layout {
        case .rowShards where configuration.sampler == .parallelTempering:
            self = .tempered(TemperedScratch(rows: rows, chainsPerRow: configuration.chainsPerRow, visibleCount: visibleCount,
                                             hiddenCount: hiddenCount))
        case .rowShards:
            self = .rowShards
        case .hiddenBlocks:
            self = .hiddenBlocks(HiddenBlockScratch(rows: rows, visibleCount: visibleCount, hiddenCount: hiddenCount,
                                                     blocks: configuration.hiddenBlocks))
        case .visibleBlocks:
            self = .visibleBlocks(VisibleBlockScratch(rows: rows, hiddenCount: hiddenCount, blocks: configuration.visibleBlocks))
        }
    }
}

/// Parallel tempering's per-shard memory: the hidden pre-activations vW (without the bias) and
/// hidden samples of the shard's chains at every temperature (n·M rows), and the swaps tried
/// and accepted per pair of neighbouring temperatures in the last update; with a tempering
/// base, the visible biases each temperature's conditional and the swaps read (M + 1 rows).
final class TemperedScratch: @unchecked Sendable {
    let preactivations: UnsafeMutablePointer<Float>
    let hiddenSamples: UnsafeMutablePointer<Float>
    let visibleBiases: UnsafeMutablePointer<Float>
    var swapAttempts: [Int]
    var swapAcceptances: [Int]

    init(rows: Int, chainsPerRow: Int, visibleCount: Int, hiddenCount: Int) {
        preactivations = zeroedFloats(rows * chainsPerRow * hiddenCount)
        hiddenSamples = zeroedFloats(rows * chainsPerRow * hiddenCount)
        visibleBiases = zeroedFloats((chainsPerRow + 1) * visibleCount)
        swapAttempts = [Int](repeating: 0, count: max(0, chainsPerRow - 1))
        swapAcceptances = swapAttempts
    }

    deinit {
        preactivations.deallocateCacheAligned()
        hiddenSamples.deallocateCacheAligned()
        visibleBiases.deallocateCacheAligned()
    }
}

/// The hidden-block layout's per-shard memory: block b's part of the visible pre-activations,
/// h_b·W_bᵀ (n × n_visible each, block after block); their sum over b is h·Wᵀ. For centering
/// in place (`DataParallelTrainer+CentredBlocks.swift`): each block's copy of Σ(v⁰ − vᵏ) (block
/// 0 uses the shard's own statistic) and of Σ_j Δ_ij·λ_j (n_visible each), and Σ_i Δ_ij·μ_i
/// (n_hidden, each block its own units).
final class HiddenBlockScratch: @unchecked Sendable {
    let visiblePartials: UnsafeMutablePointer<Float>
    let visibleSums: UnsafeMutablePointer<Float>
    let rowTerms: UnsafeMutablePointer<Float>
    let columnTerms: UnsafeMutablePointer<Float>

    init(rows: Int, visibleCount: Int, hiddenCount: Int, blocks: Int) {
        visiblePartials = zeroedFloats(blocks * rows * visibleCount)
        visibleSums = zeroedFloats(blocks * visibleCount)
        rowTerms = zeroedFloats(blocks * visibleCount)
        columnTerms = zeroedFloats(hiddenCount)
    }

    deinit {
        for buffer in [visiblePartials, visibleSums, rowTerms, columnTerms] { buffer.deallocateCacheAligned() }
    }
}
