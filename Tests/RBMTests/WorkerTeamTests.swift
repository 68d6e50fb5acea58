import Foundation
import Testing
import RBM

/// `DataParallel.forEach` on the spinning worker team: every item runs exactly once, whatever
/// the worker count, through many short sections, after the members fell asleep, nested, and
/// from two threads at once.
@Suite(.timeLimit(.minutes(1))) struct WorkerTeamTests {
    /// Runs `sections` parallel sections of `items` items on `workers` and returns how often
    /// each item ran (summed over sections).
    func counts(items: Int, workers: Int, sections: Int, pause: (Int) -> Void = { _ in }) -> [Int] {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: items)
        runs.initialize(repeating: 0)
        defer { runs.deallocate() }
        let transfer = UnsafeTransfer(runs)
        for section in 0..<sections {
            // Each item is written by one worker only within a section; sections are ordered.
            DataParallel.forEach(items: items, workers: workers) { item in transfer.value[item] += 1 }
            pause(section)
        }
        return Array(runs)
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyItemRunsOncePerSectionThroughManyShortSections(workers: Int) {
        for items in [1, 2, 3, 7, 64] {
            #expect(counts(items: items, workers: workers, sections: 2_000) == [Int](repeating: 2_000, count: items),
                    "\(items) items on \(workers) workers")
        }
    }

    /// Sections far apart: the members' spin runs out and they sleep; the next section wakes them.
    /// (Worker 0 runs three 8 ms items, worker 1 two: worker 1 waits 8 ms, four times the 2 ms
    /// `WorkerTeam.spinNanoseconds`.)
    @Test func sectionsAfterTheMembersSleptStillRunEveryItem() {
        let result = counts(items: 5, workers: 2, sections: 20) { _ in usleep(8_000) }
        #expect(result == [Int](repeating: 20, count: 5))
    }

    /// A section inside a section (the team is busy) runs on other threads and still covers
    /// every item.
    @Test func nestedSectionsRunEveryItem() {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: 40)
        runs.initialize(repeating: 0)
        defer { runs.deallocate() }
        let transfer = UnsafeTransfer(runs)
        DataParallel.forEach(items: 4, workers: 2) { outer in
            DataParallel.forEach(items: 10, workers: 2) { inner in transfer.value[outer * 10 + inner] += 1 }
        }
        #expect(Array(runs) == [Int](repeating: 1, count: 40))
    }

    /// Two threads start sections at the same time: one gets the team, the other GCD's threads,
    /// and both finish with every item run.
    @Test func concurrentSectionsFromTwoThreadsBothFinish() {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: 12)
        runs.initialize(repeating: 0)
        defer { runs.deallocate() }
        let transfer = UnsafeTransfer(runs)
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for _ in 0..<500 {
                DataParallel.forEach(items: 6, workers: 2) { item in transfer.value[caller * 6 + item] += 1 }
            }
        }
        #expect(Array(runs) == [Int](repeating: 500, count: 12))
    }
}
