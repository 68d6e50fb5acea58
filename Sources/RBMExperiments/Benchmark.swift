import Dispatch
import RBM
import RBMData

/// `rbm bench`: samples per second of CD-1 and PCD-1 updates against the speed of the same
/// GEMMs alone (the BLAS bound), with 1 worker and with all cores, in one run.
public struct Benchmark {
    public struct Row: Sendable {
        public var label: String
        public var workers: Int
        public var samplesPerSecond: Double
        public var gemmBoundSamplesPerSecond: Double
        public var gflops: Double
    }

    public var visibleCount = 784
    public var hiddenCount = 500
    public var batchSize = 100
    public var shards: Int
    public var updates = 300
    public var repetitions = 3
    public var data: Dataset

    public init(data: Dataset, hiddenCount: Int = 500, batchSize: Int = 100, shards: Int = 2,
                updates: Int = 300) {
        self.data = data
        self.visibleCount = data.featureCount
        self.hiddenCount = hiddenCount
        self.batchSize = batchSize
        self.shards = shards
        self.updates = updates
    }

    /// Multiply-adds ×2 per sample of one CD-1/PCD-1 update: P(h|v⁰), P(v|h), P(h|v¹), and the
    /// statistics GEMM over 2B rows.
    public var flopsPerSample: Double { 2 * Double(visibleCount * hiddenCount) * 5 }

    public func run(workerCounts: [Int], progress: (String) -> Void) -> [Row] {
        var rows: [Row] = []
        for sampler in [SamplerKind.contrastiveDivergence, .persistentContrastiveDivergence] {
            for workers in workerCounts {
                // Best of `repetitions`: the machine is shared, and the fastest run is the one
                // least disturbed by others.
                let bound = (0..<repetitions).map { _ in gemmBound(workers: workers) }.max()!
                let speed = (0..<repetitions).map { _ in trainerSpeed(sampler: sampler, workers: workers) }.max()!
                let label = sampler == .contrastiveDivergence ? "CD-1" : "PCD-1"
                rows.append(Row(label: label, workers: workers, samplesPerSecond: speed,
                                gemmBoundSamplesPerSecond: bound,
                                gflops: speed * flopsPerSample / 1e9))
                progress("\(label) workers=\(workers): \(format(speed, 0)) samples/s (GEMM bound \(format(bound, 0)))")
            }
        }
        return rows
    }

    func trainerSpeed(sampler: SamplerKind, workers: Int) -> Double {
        let model = BernoulliRBM.initialized(visibleCount: visibleCount, hiddenCount: hiddenCount,
                                             seed: 1, visibleMarginals: data.featureMeans)
        let trainer = DataParallelTrainer(model: model, configuration: TrainerConfiguration(
            batchSize: batchSize, shards: shards, workers: workers, sampler: sampler, gibbsSteps: 1,
            weightDecay: 1e-4, seed: 1))
        let order = shuffledOrder(count: data.count, seed: 1, epoch: 0)
        let batchesPerEpoch = data.count / batchSize
        let hyper = UpdateHyperparameters(learningRate: 0.01, momentum: 0.5)
        func batch(_ index: Int) -> DatasetMinibatch {
            let start = index % batchesPerEpoch * batchSize
            return DatasetMinibatch(dataset: data, order: order[start..<(start + batchSize)],
                                    binarization: .stochastic, epoch: 0, seed: 1)
        }
        for index in 0..<20 { trainer.update(batch: batch(index), hyperparameters: hyper) }
        let start = DispatchTime.now().uptimeNanoseconds
        for index in 0..<updates { trainer.update(batch: batch(index), hyperparameters: hyper) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(updates * batchSize) / seconds
    }

    /// The same GEMM calls, shapes and shard split as one update, with nothing else.
    func gemmBound(workers: Int) -> Double {
        let nv = visibleCount, nh = hiddenCount
        let config = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: workers,
                                          sampler: .contrastiveDivergence, gibbsSteps: 1,
                                          weightDecay: 0, seed: 1)
        BLAS.useSingleThread()
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: nv * nh)
        weights.initialize(repeating: 0.01, count: nv * nh)
        let buffers = (0..<shards).map { shard -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) in
            let n = config.rows(ofShard: shard).count
            let visible = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * nv)
            visible.initialize(repeating: 1, count: 2 * n * nv)
            let hidden = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * nh)
            hidden.initialize(repeating: 0.5, count: 2 * n * nh)
            let gradient = UnsafeMutablePointer<Float>.allocate(capacity: nv * nh)
            gradient.initialize(repeating: 0, count: nv * nh)
            return (visible, hidden, gradient)
        }
        defer {
            weights.deallocate()
            for (a, b, c) in buffers { a.deallocate(); b.deallocate(); c.deallocate() }
        }
        let transfer = UnsafeTransfer((buffers, weights))
        func oneUpdate() {
            DataParallel.forEach(items: shards, workers: workers) { shard in
                let (buffers, weights) = transfer.value
                let (visible, hidden, gradient) = buffers[shard]
                let n = config.rows(ofShard: shard).count
                BLAS.gemm(m: n, n: nh, k: nv, a: visible, b: weights, c: hidden)
                BLAS.gemm(m: n, n: nv, k: nh, a: hidden, b: weights, transposeB: true, c: visible + n * nv)
                BLAS.gemm(m: n, n: nh, k: nv, a: visible + n * nv, b: weights, c: hidden + n * nh)
                BLAS.gemm(m: nv, n: nh, k: 2 * n, a: visible, transposeA: true, b: hidden, c: gradient)
            }
        }
        for _ in 0..<20 { oneUpdate() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<updates { oneUpdate() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(updates * batchSize) / seconds
    }

    /// The results as a Markdown table with the ratios the issue asks for.
    public static func table(_ rows: [Row], flopsPerSample: Double) -> String {
        var lines = [
            "| update | workers | samples/s | GFLOP/s | GEMM-only samples/s | of GEMM bound | speed-up vs 1 worker |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            let single = rows.first { $0.label == row.label && $0.workers == 1 }
            let speedup = single.map { row.samplesPerSecond / $0.samplesPerSecond }
            lines.append("| \(row.label) | \(row.workers) | \(format(row.samplesPerSecond, 0)) | "
                + "\(format(row.gflops, 1)) | \(format(row.gemmBoundSamplesPerSecond, 0)) | "
                + "\(format(100 * row.samplesPerSecond / row.gemmBoundSamplesPerSecond, 1))% | "
                + "\(speedup.map { format($0, 2) + "×" } ?? "–") |")
        }
        return lines.joined(separator: "\n")
    }
}

/// A number with a fixed count of decimals, without Foundation's locale machinery.
public func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (abs(value) * scale).rounded()
    let integer = Int(rounded / scale)
    let fraction = Int(rounded - Double(integer) * scale)
    var text = "\(integer)"
    if decimals > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return (value < 0 && rounded > 0 ? "-" : "") + text
}
