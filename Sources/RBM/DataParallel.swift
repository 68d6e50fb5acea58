import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Hands a pointer or class reference across the `@Sendable` boundary of
/// `DataParallel.forEach` and `concurrentPerform`. Callers guarantee each worker writes only its own memory.
public struct UnsafeTransfer<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Runs work items on `workers` threads with a static assignment: worker `w` runs items
/// w, w + workers, w + 2·workers, … The items' results never depend on which worker ran them,
/// so the outcome is the same for any worker count. The threads are `WorkerTeam`'s, which
/// stay awake between the short parallel sections of a training step.
public enum DataParallel {
    public static func forEach(items: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        _ = singleThreadedBLAS
        let threads = max(1, min(workers, items))
        if threads == 1 {
            for item in 0..<items { body(item) }
            return
        }
        let worker: @Sendable (Int) -> Void = { worker in
            var item = worker
            while item < items {
                body(item)
                item += threads
            }
        }
        // The team, or (a nested or concurrent section) GCD's threads.
        if !WorkerTeam.shared.run(threads: threads, worker) {
            DispatchQueue.concurrentPerform(iterations: threads, execute: worker)
        }
    }

    /// Computes `body` for each chunk of `0..<count` and returns the results in chunk order.
    public static func mapChunks<Result>(
        count: Int, chunkSize: Int, workers: Int,
        _ body: @Sendable (Range<Int>) -> Result
    ) -> [Result] {
        let chunks = count == 0 ? 0 : (count + chunkSize - 1) / chunkSize
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: chunks)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let transfer = UnsafeTransfer(results)
        forEach(items: chunks, workers: workers) { chunk in
            let range = chunk * chunkSize..<min(count, (chunk + 1) * chunkSize)
            transfer.value[chunk] = body(range)
        }
        return results.map { $0! }
    }
}

/// Every BLAS call runs inside a worker (or alone), so OpenBLAS's own threads would only
/// compete for the same cores: set once, before the first parallel section.
private let singleThreadedBLAS: Void = BLAS.useSingleThread()

extension DataParallel {
    /// Processes of this job running on this machine (MPI ranks; 1 otherwise). Their workers
    /// share the machine's cores, so `WorkerTeam` spins only while threads × processes fit the
    /// cores. Set once, before the first parallel section.
    public static var processesSharingCores: Int {
        get { sharedCoreProcesses.load(ordering: .relaxed) }
        set { sharedCoreProcesses.store(max(1, newValue), ordering: .relaxed) }
    }

    /// The worker count to use: `requested`, or every core when nil.
    public static func workers(_ requested: Int?) -> Int { requested ?? availableCores }
}

private let sharedCoreProcesses = Atomic<Int>(1)

/// The number of processor cores this process may use, read once: glibc's sysconf reads it from
/// /sys on every call (measured 5 µs, paid by every parallel section when asked there).
public let availableCores: Int = {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 1
    #endif
}()

extension DataParallel {
    /// `mapChunks` with the chunks also split across ranks: rank r computes a contiguous range
    /// of the chunks on its workers, and every rank receives every chunk's result in chunk
    /// order — exactly what one process computes, for any ranks × workers.
    public static func mapChunks(
        count: Int, chunkSize: Int, workers: Int, ranks: any RankGroup,
        _ body: @Sendable (Range<Int>) -> [Double]
    ) -> [[Double]] {
        guard ranks.size > 1 else { return mapChunks(count: count, chunkSize: chunkSize, workers: workers, body) }
        let chunks = count == 0 ? 0 : (count + chunkSize - 1) / chunkSize
        let mine = evenPiece(of: chunks, parts: ranks.size, index: ranks.rank)
        let local = mapChunks(count: mine.count, chunkSize: 1, workers: workers) { index in
            let chunk = mine.lowerBound + index.lowerBound
            return body(chunk * chunkSize..<min(count, (chunk + 1) * chunkSize))
        }
        // Each chunk travels as [length, values…], so results of any length come apart again.
        let gathered = ranks.allGather(doubles: local.flatMap { [Double($0.count)] + $0 })
        var results: [[Double]] = []
        var position = 0
        while position < gathered.count {
            let length = Int(gathered[position])
            results.append(Array(gathered[(position + 1)..<(position + 1 + length)]))
            position += 1 + length
        }
        precondition(results.count == chunks, "ranks returned \(results.count) of \(chunks) chunks")
        return results
    }
}
