import RBM
import RBMData
import RBMSystem
#if canImport(Glibc)
import Glibc
#endif

/// `rbm bench`: samples per second of CD-1 and PCD-1 updates against the speed of the same
/// GEMMs alone (the BLAS bound), with 1 worker and with all cores, in one run.
public struct Benchmark {
    public struct Row: Sendable {
        public var label: String
        /// "2 shards", "1 shard × 2 hidden blocks".
        public var layout: String = ""
        public var workers: Int
        public var samplesPerSecond: Double
        public var gemmBoundSamplesPerSecond: Double
        public var gflops: Double
    }

    public var visibleCount = 784
    public var hiddenCount = 500
    public var batchSize = 100
    public var shards: Int
    /// `training.hidden_blocks` of the measured updates.
    public var hiddenBlocks = 1
    /// `training.visible_blocks` of the measured updates.
    public var visibleBlocks = 1
    public var updates = 300
    public var repetitions = 3
    /// Centred updates (`model.centering`) instead of plain ones.
    public var centering = false
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

    /// How the minibatch is split: "2 shards", "1 shard × 2 hidden blocks".
    public var layout: String {
        "\(shards) shard\(shards == 1 ? "" : "s")" + (hiddenBlocks > 1 ? " × \(hiddenBlocks) hidden blocks" : "")
            + (visibleBlocks > 1 ? " × \(visibleBlocks) visible blocks" : "")
    }

    public func run(workerCounts: [Int], progress: (String) -> Void) -> [Row] {
        var rows: [Row] = []
        for sampler in [SamplerKind.contrastiveDivergence, .persistentContrastiveDivergence] {
            for workers in workerCounts {
                // Best of `repetitions`: the machine is shared, and the fastest run is the one
                // least disturbed by others.
                let bound = (0..<repetitions).map { _ in gemmBound(workers: workers) }.max()!
                let speed = (0..<repetitions).map { _ in trainerSpeed(sampler: sampler, workers: workers) }.max()!
                let label = (sampler == .contrastiveDivergence ? "CD-1" : "PCD-1") + (centering ? " centred" : "")
                rows.append(Row(label: label, layout: layout, workers: workers, samplesPerSecond: speed,
                                gemmBoundSamplesPerSecond: bound,
                                gflops: speed * flopsPerSample / 1e9))
                progress("\(label) workers=\(workers) (\(layout)): \(format(speed, 0)) samples/s (GEMM bound \(format(bound, 0)))")
            }
        }
        return rows
    }

    func trainerSpeed(sampler: SamplerKind, workers: Int) -> Double {
        let model = RBMModel.initialized(visibleCount: visibleCount, hiddenCount: hiddenCount,
                                             seed: 1, visibleMarginals: data.featureMeans)
        var configuration = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: workers,
                                                 sampler: sampler, gibbsSteps: 1, weightDecay: 1e-4, seed: 1)
        configuration.hiddenBlocks = hiddenBlocks
        configuration.visibleBlocks = visibleBlocks
        configuration.centering = centering
        let trainer = DataParallelTrainer(model: model, configuration: configuration)
        return timedUpdates(trainer, data: data, binarization: .stochastic, learningRate: 0.01, warmUp: 20, timed: updates)
    }

    /// Samples per second of `timed` updates of `trainer` on consecutive minibatches of `data`
    /// (one shuffled order), after `warmUp` updates not timed.
    func timedUpdates(_ trainer: DataParallelTrainer, data: Dataset, binarization: Binarization, learningRate: Float,
                      warmUp: Int, timed: Int) -> Double {
        let order = shuffledOrder(count: data.count, seed: 1, epoch: 0)
        let batchesPerEpoch = data.count / batchSize
        let hyper = UpdateHyperparameters(learningRate: learningRate, momentum: 0.5)
        func batch(_ index: Int) -> SourceMinibatch {
            let start = index % batchesPerEpoch * batchSize
            return SourceMinibatch(source: data, order: order[start..<(start + batchSize)],
                                   binarization: binarization, epoch: 0, seed: 1)
        }
        for index in 0..<warmUp { trainer.update(batch: batch(index), hyperparameters: hyper) }
        let start = monotonicSeconds()
        for index in 0..<timed { trainer.update(batch: batch(index), hyperparameters: hyper) }
        return Double(timed * batchSize) / (monotonicSeconds() - start)
    }

    /// The same GEMM calls, shapes and shard split as one update, with nothing else, computed
    /// dense by BLAS.
    func gemmBound(workers: Int) -> Double {
        let nv = visibleCount, nh = hiddenCount
        var layout = TrainerConfiguration(batchSize: batchSize, shards: shards, workers: workers,
                                          sampler: .contrastiveDivergence, gibbsSteps: 1,
                                          weightDecay: 0, seed: 1)
        layout.hiddenBlocks = hiddenBlocks
        layout.visibleBlocks = visibleBlocks
        let config = layout
        let blocks = hiddenBlocks
        let visibleBlocks = visibleBlocks
        BLAS.useSingleThread()
        // W, then (visible blocks) each block's partial hidden pre-activations.
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: nv * nh + visibleBlocks * batchSize * nh)
        weights.initialize(repeating: 0.01, count: nv * nh + visibleBlocks * batchSize * nh)
        let buffers = (0..<shards).map { shard -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) in
            let n = config.rows(ofShard: shard).count
            // Not 0/1: the bound is the dense products' (BLAS), not the sums of rows a sampled
            // binary operand takes (`BinaryProducts`).
            let visible = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * nv)
            visible.initialize(repeating: 0.5, count: 2 * n * nv)
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
        // Item (shard, block): the products of one block of hidden units' columns (with one
        // block, the shard's whole products). Blocks write their part of h·Wᵀ over each other,
        // which costs the same as keeping it apart.
        // Visible blocks (one shard): block p's products with its rows of W, W_p = W[U_p, :].
        func oneVisibleBlockedUpdate() {
            DataParallel.forEach(items: visibleBlocks, workers: workers) { block in
                let (buffers, weights) = transfer.value
                let (visible, hidden, gradient) = buffers[0]
                let n = config.batchSize
                let units = config.visibleUnits(ofBlock: block, visibleCount: nv)
                let w = weights + units.lowerBound * nh, u = units.count
                let partial = transfer.value.1 + nv * nh + block * n * nh
                BLAS.gemm(m: n, n: nh, k: u, a: visible + units.lowerBound, lda: nv, b: w, ldb: nh, c: partial, ldc: nh)
                BLAS.gemm(m: n, n: u, k: nh, a: hidden, lda: nh, b: w, ldb: nh, transposeB: true,
                          c: visible + n * nv + units.lowerBound, ldc: nv)
                BLAS.gemm(m: n, n: nh, k: u, a: visible + n * nv + units.lowerBound, lda: nv, b: w, ldb: nh, c: partial, ldc: nh)
                BLAS.gemm(m: u, n: nh, k: 2 * n, a: visible + units.lowerBound, lda: nv, transposeA: true, b: hidden, ldb: nh,
                          c: gradient + units.lowerBound * nh, ldc: nh)
            }
        }
        func oneUpdate() {
            if visibleBlocks > 1 { return oneVisibleBlockedUpdate() }
            DataParallel.forEach(items: shards * blocks, workers: workers) { item in
                let (buffers, weights) = transfer.value
                let (visible, hidden, gradient) = buffers[item / blocks]
                let n = config.rows(ofShard: item / blocks).count
                let units = config.hiddenUnits(ofBlock: item % blocks, hiddenCount: nh)
                let w = weights + units.lowerBound, u = units.count
                BLAS.gemm(m: n, n: u, k: nv, a: visible, lda: nv, b: w, ldb: nh, c: hidden + units.lowerBound, ldc: nh)
                BLAS.gemm(m: n, n: nv, k: u, a: hidden + units.lowerBound, lda: nh, b: w, ldb: nh, transposeB: true,
                          c: visible + n * nv, ldc: nv)
                BLAS.gemm(m: n, n: u, k: nv, a: visible + n * nv, lda: nv, b: w, ldb: nh, c: hidden + n * nh + units.lowerBound, ldc: nh)
                BLAS.gemm(m: nv, n: u, k: 2 * n, a: visible, lda: nv, transposeA: true, b: hidden + units.lowerBound, ldb: nh,
                          c: gradient + units.lowerBound, ldc: nh)
            }
        }
        for _ in 0..<20 { oneUpdate() }
        let start = monotonicSeconds()
        for _ in 0..<updates { oneUpdate() }
        let seconds = monotonicSeconds() - start
        return Double(updates * batchSize) / seconds
    }

    /// The results as a Markdown table with the ratios that tell how near the step runs to its
    /// bound: against the SGEMM rate of the same run, and against one worker.
    public static func table(_ rows: [Row], flopsPerSample: Double, sgemmGFLOPS: Double? = nil) -> String {
        var lines = [
            "| update | split | workers | samples/s | GFLOP/s | GEMM-only samples/s | of GEMM bound | speed-up vs 1 worker |"
                + (sgemmGFLOPS == nil ? "" : " of SGEMM rate |"),
            "|---|---|---:|---:|---:|---:|---:|---:|" + (sgemmGFLOPS == nil ? "" : "---:|"),
        ]
        for row in rows {
            let single = rows.first { $0.label == row.label && $0.layout == row.layout && $0.workers == 1 }
            let speedup = single.map { row.samplesPerSecond / $0.samplesPerSecond }
            lines.append("| \(row.label) | \(row.layout) | \(row.workers) | \(format(row.samplesPerSecond, 0)) | "
                + "\(format(row.gflops, 1)) | \(format(row.gemmBoundSamplesPerSecond, 0)) | "
                + "\(format(100 * row.samplesPerSecond / row.gemmBoundSamplesPerSecond, 1))% | "
                + "\(speedup.map { format($0, 2) + "×" } ?? "–") |"
                + (sgemmGFLOPS.map { " \(format(100 * row.gflops / $0, 1))% |" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    /// `rbm bench`: measures CD-1 and PCD-1 on the IDX folder `data` (synthetic images when it
    /// is nil or missing) for each worker count (default: 1 and all cores), printing each
    /// measurement and then the table.
    /// `hiddenBlocks` nil: the `shards` split, then (on a machine with several cores) one shard
    /// in as many hidden blocks as cores, the split that keeps each core's part of W in its cache.
    public static func measure(data: String?, hiddenCount: Int, batchSize: Int, shards: Int, hiddenBlocks: Int? = nil,
                               visibleBlocks: Int? = nil, updates: Int,
                               workerCounts: [Int], formats: Bool = false, sizes: Bool = false,
                               temperatureCounts: [Int]? = nil, centering: Bool = false,
                               log: (String) -> Void = { print($0) }) throws {
        log(machineDescription())
        let dataset: Dataset
        if let data, fileExists(data) {
            dataset = try IDXFolder.load(folder: data, validationCount: 0).train.firstRows(.max)
            log("data: \(dataset.source) (\(dataset.count) samples)")
        } else {
            if let data { log("note: \(data) not found; using synthetic data") }
            dataset = syntheticDataset(count: 10_000, features: 784)
            log("data: synthetic, 10,000 samples × 784")
        }
        let counts = workerCounts.isEmpty ? Array(Set([1, availableCores])).sorted() : workerCounts
        var bench = Benchmark(data: dataset, hiddenCount: hiddenCount, batchSize: batchSize, shards: shards, updates: updates)
        bench.repetitions = 3
        bench.centering = centering
        if formats { return try bench.measureFormats(workers: counts.max() ?? 1, log: log) }
        if sizes { return bench.measureSizes(workers: counts.max() ?? 1, log: log) }
        if let temperatureCounts {
            return bench.measureUnits(workers: counts.max() ?? 1, temperatureCounts: temperatureCounts, log: log)
        }
        let cores = counts.max() ?? 1
        var layouts = [(shards, hiddenBlocks ?? 1, visibleBlocks ?? 1)]
        if hiddenBlocks == nil, visibleBlocks == nil, cores > 1 {
            if TrainerConfiguration.maximumHiddenBlocks(hiddenCount: hiddenCount) >= cores { layouts.append((1, cores, 1)) }
            // Small batches: also each core a block of W's rows.
            if batchSize <= SmallProducts.thinSide { layouts.append((1, 1, cores)) }
        }
        log("\(dataset.featureCount)→\(hiddenCount), batch \(batchSize), \(updates) updates per measurement, best of \(bench.repetitions)")
        // CD and PCD settle alike (centering, FPCD and PT may not: see automaticLayout).
        var automaticConfiguration = TrainerConfiguration(batchSize: batchSize, shards: 1, workers: cores,
                                                          sampler: .contrastiveDivergence, gibbsSteps: 1, weightDecay: 0, seed: 1)
        automaticConfiguration.centering = centering
        let automatic = automaticConfiguration.automaticLayout(visibleCount: dataset.featureCount, hiddenCount: hiddenCount, visibleUnits: .bernoulli, cores: availableCores)
        log("training.layout: auto trains CD-1 and PCD-1\(centering ? " with centering" : "") of this shape here as \(automatic)")
        var rows: [Row] = []
        for (layoutShards, layoutBlocks, layoutVisibleBlocks) in layouts {
            bench.shards = layoutShards
            bench.hiddenBlocks = layoutBlocks
            bench.visibleBlocks = layoutVisibleBlocks
            rows += bench.run(workerCounts: counts, progress: log)
        }
        let sgemm = BLAS.largeSGEMMRate(threads: counts.max() ?? 1)
        log("one 4096³ SGEMM on \(counts.max() ?? 1) thread(s): \(format(sgemm, 1)) GFLOP/s (\(format(sgemm * 1e9 / bench.flopsPerSample, 0)) samples/s of this update)")
        if BinaryProducts.isEnabled {
            log("GFLOP/s and the ratios count every product's dense multiply-adds; products with sampled binary "
                + "units are sums of rows (fewer operations), so the step can pass the GEMM-only bound and the SGEMM rate. "
                + "RBM_BINARY_PRODUCTS=dense measures the dense step.")
        }
        log("")
        log(table(rows, flopsPerSample: bench.flopsPerSample, sgemmGFLOPS: sgemm))
    }

    /// The CPU, the core count, the BLAS kernel and who computes small products, for the lines
    /// above every figure.
    static func machineDescription() -> String {
        let cpuinfo = (try? readText(path: "/proc/cpuinfo")) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingSpaces } ?? "unknown CPU"
        let coretype = getenv("OPENBLAS_CORETYPE").map { " (OPENBLAS_CORETYPE=\(String(cString: $0)))" } ?? ""
        return "machine: \(model), \(availableCores) cores; BLAS: \(BLAS.description)\(coretype)"
            + "\n" + SmallProducts.summary
            + "\n" + BinaryProducts.summary
            + "\nBernoulli draws: Philox, whole groups by \(RandomStream.bernoulliKernel)"
            + "\nparallel tempering's swap ratios: single precision (\(TemperingSwap.kernelPath)), double where that decides"
            + (kernelNote(cpuinfo: cpuinfo).map { "\n" + $0 } ?? "")
    }

    /// A warning when the CPU has AVX-512 but OpenBLAS runs an AVX2 kernel (OPENBLAS_CORETYPE
    /// can pin one): on the Zen 5 measured, the AVX-512 kernels run SGEMM twice as fast.
    static func kernelNote(cpuinfo: String) -> String? {
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        guard flags.split(separator: " ").contains("avx512f") else { return nil }
        let kernel = BLAS.description.split(separator: " ").last.map(String.init) ?? ""
        guard ["Haswell", "Zen", "Sandybridge", "Nehalem", "Prescott", "Core2", "Excavator"].contains(kernel) else { return nil }
        return "note: this CPU has AVX-512 but OpenBLAS runs its \(kernel) kernel; an AVX-512 kernel "
            + "(OPENBLAS_CORETYPE=SkylakeX, or unset where this OpenBLAS knows the CPU) may run SGEMM up to twice as fast: "
            + "check `make test` with it first (README, Speed)"
    }

    /// `rbm bench --formats`: the training data fed from each kind of file.
    func measureFormats(workers: Int, log: (String) -> Void) throws {
        let folder = try DataLoader.makeTemporaryFolder()
        defer {
            for name in ["data.npy", "bytes.npy", "contiguous.h5", "gzip.h5"] { unlink(folder + "/" + name) }
            rmdir(folder)
        }
        var bench = self
        bench.repetitions = 5
        log("CD-1 fed from each kind of file, \(workers) worker(s), best of \(bench.repetitions) rounds:")
        let rows = try bench.measureSources(folder: folder, workers: workers, progress: log)
        log("")
        log(Self.sourceTable(rows))
    }

    /// `rbm bench --sizes`: CD-1 on all cores for growing models and batches, against the
    /// large-SGEMM rate of the same run.
    func measureSizes(workers: Int, log: (String) -> Void) {
        let sgemm = BLAS.largeSGEMMRate(threads: workers)
        log("one 4096³ SGEMM on \(workers) thread(s): \(format(sgemm, 1)) GFLOP/s")
        var lines = ["| model | batch | split | samples/s | GFLOP/s | of SGEMM rate |", "|---|---:|---|---:|---:|---:|"]
        for (visible, hidden) in [(784, 500), (784, 2000), (4096, 4096)] {
            for batch in [100, 1000] {
                var bench = Benchmark(data: Self.syntheticDataset(count: max(4 * batch, 2000), features: visible),
                                      hiddenCount: hidden, batchSize: batch, shards: shards)
                // About a second of updates, at least three.
                bench.updates = max(3, Int(1e11 / (bench.flopsPerSample * Double(batch))))
                bench.repetitions = 2
                // The shards split, and one shard in one hidden block per worker.
                for (layoutShards, layoutBlocks) in workers > 1 ? [(shards, 1), (1, workers)] : [(shards, 1)] {
                    bench.shards = layoutShards
                    bench.hiddenBlocks = layoutBlocks
                    let speed = (0..<bench.repetitions).map { _ in bench.trainerSpeed(sampler: .contrastiveDivergence, workers: workers) }.max()!
                    let gflops = speed * bench.flopsPerSample / 1e9
                    lines.append("| \(visible)→\(hidden) | \(batch) | \(bench.layout) | \(format(speed, 0)) | \(format(gflops, 1)) | \(format(100 * gflops / sgemm, 1))% |")
                    log(lines.last!)
                }
            }
        }
        log("")
        log(lines.joined(separator: "\n"))
    }

    /// Smooth random images in [0, 1], so binarization and sampling do real work.
    static func syntheticDataset(count: Int, features: Int) -> Dataset {
        let stream = RandomStream(seed: 2024, purpose: .evaluation)
        var values = [Float](repeating: 0, count: count * features)
        values.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<count {
                stream.uniforms(row: UInt32(row), count: features, into: buffer.baseAddress! + row * features)
            }
        }
        return Dataset(values: values, count: count, featureCount: features, source: "synthetic")
    }
}
