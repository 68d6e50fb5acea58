import Dispatch

/// What the ranks sent each other, for `rbm bench --ranks`: payload bytes this rank sent (the
/// exchange of statistics pieces and its share of the gather, not the MPI library's own
/// framing) and the seconds it spent in those calls, waiting included.
public struct CommunicationCounters: Sendable, Equatable {
    public var bytesSent = 0
    public var seconds = 0.0
    public var updates = 0
}

/// The reduction and the state when the shards are spread over several ranks (`RankGroup`).
extension DataParallelTrainer {
    /// Every rank: the statistics' piece j of each local shard goes to rank j; rank j sums all
    /// shards' piece j in the single-process tree (`pairwiseSum`), the summed pieces are
    /// gathered on every rank, and every rank applies the same momentum update to the whole
    /// parameter vector. Elementwise from end to end, so each element is added and updated
    /// exactly as in one process.
    func reduceAcrossRanks(applying hyperparameters: UpdateHyperparameters) {
        guard let receivedPieces, let totalStatistics else { preconditionFailure("single-process trainer") }
        let rankCount = ranks.size
        let me = ranks.rank
        let count = workspaces[0].statisticsCount
        let pieces = (0..<rankCount).map { evenPiece(of: count, parts: rankCount, index: $0) }
        let mine = pieces[me]
        let slot = pieces[0].count

        // Exchange: send every local shard's piece j to rank j; receive piece `me` of the
        // others' shards, one slot per shard. The tag is the shard index.
        var messages: [RankMessage] = []
        for shard in localShards {
            let statistics = workspaces[shard - localShards.lowerBound].statistics
            for peer in 0..<rankCount where peer != me && !pieces[peer].isEmpty {
                messages.append(.send(to: peer, tag: shard, UnsafePointer(statistics + pieces[peer].lowerBound),
                                      count: pieces[peer].count))
            }
        }
        for peer in 0..<rankCount where peer != me {
            for shard in configuration.shards(ofRank: peer, ranks: rankCount) where !mine.isEmpty {
                messages.append(.receive(from: peer, tag: shard, receivedPieces + shard * slot, count: mine.count))
            }
        }
        let exchangeStart = DispatchTime.now().uptimeNanoseconds
        ranks.exchange(messages)
        var seconds = Double(DispatchTime.now().uptimeNanoseconds - exchangeStart) / 1e9

        // This rank's piece of Σ_shards G_s, in the tree one process uses, then on every rank.
        let partials: [UnsafeMutablePointer<Float>] = (0..<configuration.shards).map { shard in
            localShards.contains(shard)
                ? workspaces[shard - localShards.lowerBound].statistics + mine.lowerBound
                : receivedPieces + shard * slot
        }
        Self.pairwiseSum(partials, count: mine.count)
        (totalStatistics + mine.lowerBound).update(from: partials[0], count: mine.count)
        let gatherStart = DispatchTime.now().uptimeNanoseconds
        ranks.allGather(totalStatistics, counts: pieces.map(\.count), offsets: pieces.map(\.lowerBound))
        seconds += Double(DispatchTime.now().uptimeNanoseconds - gatherStart) / 1e9
        let sentFloats = localShards.count * (count - mine.count) + (rankCount - 1) * mine.count
        communication.bytesSent += 4 * sentFloats
        communication.seconds += seconds
        communication.updates += 1

        // The same update on every rank: Δ ← μΔ + ε(g/B − λθ), θ ← θ + Δ (and centering, FPCD).
        applyUpdate(totals: totalStatistics, hyperparameters: hyperparameters)
    }

    /// PCD: each rank advances only its own shards' chains; this brings every rank's rows to
    /// every rank (collective; nothing to do in a single process).
    func gatherChains() {
        guard ranks.size > 1, let chains else { return }
        let rowRanges = (0..<ranks.size).map { peer -> Range<Int> in
            let shards = configuration.shards(ofRank: peer, ranks: ranks.size)
            return configuration.rows(ofShard: shards.lowerBound).lowerBound
                ..< configuration.rows(ofShard: shards.upperBound - 1).upperBound
        }
        let perRow = configuration.chainsPerRow
        for (buffer, width) in [(chains.visible, visibleCount * perRow), (chains.hiddenProbabilities, hiddenCount * perRow)] {
            ranks.allGather(buffer, counts: rowRanges.map { $0.count * width },
                            offsets: rowRanges.map { $0.lowerBound * width })
        }
    }

    /// In place: ((p0 + p1) + (p2 + p3)) + …, the total left in `partials[0]`: the one order in
    /// which shard statistics are summed, by one process over its shards and across ranks, so
    /// that any split of the shards gives the same bits.
    static func pairwiseSum(_ partials: [UnsafeMutablePointer<Float>], count: Int) {
        pairwiseSum(parts: partials.count, count: count) { partials[$0] }
    }

    /// The same over `parts` buffers named by index (no array of them built).
    static func pairwiseSum(parts: Int, count: Int, _ part: (Int) -> UnsafeMutablePointer<Float>) {
        var stride = 1
        while stride < parts {
            var index = 0
            while index + stride < parts {
                ParameterUpdate.add(part(index + stride), into: part(index), count: count)
                index += 2 * stride
            }
            stride *= 2
        }
    }
}
