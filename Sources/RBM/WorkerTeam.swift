import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads `DataParallel.forEach` runs its items on: kept alive between parallel sections
/// and, for a short while after each, spinning for the next one.
///
/// Why not `DispatchQueue.concurrentPerform` alone: its second thread sleeps between calls, and
/// waking it costs tens of microseconds (measured on a 2-core AMD EPYC VM: two items of 20 µs
/// took 64 µs under `concurrentPerform`, 40 µs on one thread, 21 µs on this team). A training
/// step of a small batch is a few such sections of 10–50 µs each, so the wake-up would eat the
/// parallel gain. A member that finds no work for `spinNanoseconds` sleeps on a semaphore and
/// is woken by the next job, so an idle team costs nothing.
///
/// One job at a time: `run` returns false when the team is busy (a nested or a concurrent
/// parallel section), and the caller runs the items another way. Members run item indices
/// with the same static assignment as every other path, so the result never depends on which
/// thread ran an item.
final class WorkerTeam: @unchecked Sendable {
    static let shared = WorkerTeam()

    /// How long an idle member polls for the next job before it sleeps (and the caller polls
    /// for members before it yields), in nanoseconds. Long against the gaps between a training
    /// step's sections: a member that sleeps is woken by the caller, and Linux then tends to
    /// wake it on the caller's core (measured on a 2-core VM at batch 5: both threads on one
    /// core for stretches, the update 3× slower, whenever the spin was 100,000 polls ≈ 30 µs).
    static let spinNanoseconds: UInt64 = 2_000_000

    /// Polls between readings of the clock while spinning.
    static let pollsPerClockReading = 1_000

    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// True once `spinNanoseconds` have passed since `start` (read every `pollsPerClockReading`
    /// polls; `start` is set at the first reading).
    static func spunOut(polls: Int, since start: inout UInt64) -> Bool {
        guard polls % pollsPerClockReading == 0 else { return false }
        let now = nanoseconds()
        if start == 0 { start = now; return false }
        return now - start > spinNanoseconds
    }

    private let busy = Atomic<Bool>(false)
    /// Members still running the current job.
    private let pending = Atomic<Int>(0)
    /// Guarded by `busy`.
    private var members: [Member] = []

    /// Runs `body(w)` for w in 1..<threads on the team's members and `body(0)` on the calling
    /// thread, and returns when all are done; false (nothing run) when the team is busy.
    func run(threads: Int, _ body: @Sendable (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        while members.count < threads - 1 { members.append(Member(index: members.count + 1, team: self)) }
        // Spinning only pays when every thread has a core of its own (MPI ranks on this machine
        // included: measured, 2 ms spins in 4 ranks × 2 workers on 2 cores made the MPI tests
        // 18 % slower).
        let spin = threads * DataParallel.processesSharingCores <= availableCores
        withoutActuallyEscaping(body) { body in
            pending.store(threads - 1, ordering: .relaxed)
            for member in members.prefix(threads - 1) { member.post(body, spin: spin) }
            body(0)
            var polls = 0
            var start: UInt64 = 0
            var yielding = !spin
            while pending.load(ordering: .acquiring) != 0 {
                polls += 1
                if !yielding { yielding = Self.spunOut(polls: polls, since: &start) }
                if yielding { sched_yield() }
            }
        }
        return true
    }

    fileprivate func finished() { pending.subtract(1, ordering: .releasing) }

    /// One thread of the team and its mailbox: a job number, the job, and a semaphore to sleep on.
    fileprivate final class Member: @unchecked Sendable {
        let index: Int
        unowned let team: WorkerTeam
        let posted = Atomic<Int>(0)
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        /// Written by the caller before `posted` is raised (release), read after (acquire).
        var job: (@Sendable (Int) -> Void)?
        /// False when the team has more threads than the machine has cores: sleep at once.
        let spin = Atomic<Bool>(true)

        init(index: Int, team: WorkerTeam) {
            self.index = index
            self.team = team
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let status = pthread_create(&thread, nil, { context in
                Unmanaged<Member>.fromOpaque(context!).takeRetainedValue().serve()
                return nil
            }, context)
            precondition(status == 0, "cannot start a worker thread (pthread_create: \(status))")
            pthread_detach(thread)
        }

        func post(_ body: @escaping @Sendable (Int) -> Void, spin: Bool) {
            job = body
            self.spin.store(spin, ordering: .relaxed)
            posted.add(1, ordering: .sequentiallyConsistent)
            if sleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        }

        private func serve() {
            var done = 0
            while true {
                var polls = 0
                var start: UInt64 = 0
                while posted.load(ordering: .acquiring) == done {
                    polls += 1
                    if spin.load(ordering: .relaxed), !WorkerTeam.spunOut(polls: polls, since: &start) { continue }
                    // Sleep, unless a job came in while we were deciding to.
                    sleeping.store(true, ordering: .sequentiallyConsistent)
                    if posted.load(ordering: .sequentiallyConsistent) == done {
                        wake.wait()
                    } else if !sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                        wake.wait()   // the caller took the flag and signals: consume it
                    }
                    polls = 0
                    start = 0
                }
                done += 1
                do {
                    // Released before `finished()`: the caller's closure must not outlive its call.
                    let body = job!
                    job = nil
                    body(index)
                }
                team.finished()
            }
        }
    }
}
