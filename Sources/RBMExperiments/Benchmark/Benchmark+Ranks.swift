import RBM
import RBMCluster
import RBMData
import RBMSystem

extension Benchmark {
    /// One line of `rbm bench --ranks`.
    public struct RankRow: Sendable {
        public var model: String
        public var batch: Int
        public var shards: Int
        public var samplesPerSecond: Double
        /// Payload bytes rank 0 sent per update, and the share of the update's time it spent
        /// communicating (waiting for slower ranks included).
        public var bytesPerUpdate: Double
        public var communicationFraction: Double
    }

    /// `rbm bench --ranks`, alone or under `mpirun`: CD-1 updates of 784→500 (batch 100) and
    /// 784→4096 (batch 1000) with this job's ranks × `workers` threads each, in
    /// `max(2, ranks)` shards. Rank 0 prints; compare `rbm bench --ranks --workers 2` with
    /// `mpirun -np 2 rbm bench --ranks --workers 1` (and `--mca btl self,tcp` for TCP).
    public static func measureRanks(workers: Int, seconds: Double = 2, log: @escaping (String) -> Void = { print($0) }) {
        let ranks = Cluster.world()
        let say: (String) -> Void = { line in if ranks.isRoot { log(line) } }
        say(machineDescription())
        say("\(ranks.size) rank(s) × \(workers) worker(s)" + (ranks.size > 1 ? " (\(ranks.description) speaking)" : ""))
        var rows: [RankRow] = []
        for (hidden, batch) in [(500, 100), (4096, 1000)] {
            let shards = max(2, ranks.size)
            let data = syntheticDataset(count: 4 * batch, features: 784)
            let model = RBMModel.initialized(visibleCount: 784, hiddenCount: hidden, seed: 1, visibleMarginals: data.featureMeans)
            let trainer = DataParallelTrainer(model: model, configuration: TrainerConfiguration(
                batchSize: batch, shards: shards, workers: workers, sampler: .contrastiveDivergence, gibbsSteps: 1,
                weightDecay: 1e-4, seed: 1), ranks: ranks)
            let order = shuffledOrder(count: data.count, seed: 1, epoch: 0)
            let hyper = UpdateHyperparameters(learningRate: 0.01, momentum: 0.5)
            func update(_ index: Int) {
                let start = index % 4 * batch
                trainer.update(batch: SourceMinibatch(source: data, order: order[start..<(start + batch)],
                                                      binarization: .stochastic, epoch: 0, seed: 1),
                               hyperparameters: hyper)
            }
            for index in 0..<5 { update(index) }
            // Rank 0 times a few updates, then every rank runs the same count for ~`seconds`.
            let probeStart = monotonicSeconds()
            for index in 0..<5 { update(index) }
            let perUpdate = (monotonicSeconds() - probeStart) / 5
            let updates = ranks.maximum(ranks.isRoot ? max(5, Int(seconds / max(perUpdate, 1e-6))) : 0)
            let before = trainer.communication
            let start = monotonicSeconds()
            for index in 0..<updates { update(index) }
            let elapsed = monotonicSeconds() - start
            let sent = Double(trainer.communication.bytesSent - before.bytesSent) / Double(updates)
            let waited = trainer.communication.seconds - before.seconds
            let row = RankRow(model: "784→\(hidden)", batch: batch, shards: shards,
                              samplesPerSecond: Double(updates * batch) / elapsed,
                              bytesPerUpdate: sent, communicationFraction: waited / elapsed)
            rows.append(row)
            say("784→\(hidden) batch \(batch): \(groupedThousands(row.samplesPerSecond)) samples/s, "
                + "\(formatBytes(sent)) sent per update, \(format(100 * row.communicationFraction, 1))% of the time communicating")
        }
        say("")
        say("| model | batch | shards | ranks × workers | samples/s | bytes sent per update (rank 0) | time communicating |")
        say("|---|---:|---:|---|---:|---:|---:|")
        for row in rows {
            say("| \(row.model) | \(row.batch) | \(row.shards) | \(ranks.size) × \(workers) | \(groupedThousands(row.samplesPerSecond)) | "
                + "\(formatBytes(row.bytesPerUpdate)) | \(format(100 * row.communicationFraction, 1))% |")
        }
    }
}
