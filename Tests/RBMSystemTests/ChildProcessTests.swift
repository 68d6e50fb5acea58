import Foundation
import RBMSystem
import Testing

@Suite struct ChildProcessTests {
    @Test func aSlowChildIsAnnouncedOnceAndKilledAtItsDeadline() throws {
        var notices = 0
        let started = Date()
        let slow = try ChildProcess.run(["/bin/sleep", "30"], timeout: 1.5,
                                        slowNotice: (after: 0.5, action: { notices += 1 }))
        #expect(slow.termination == .timedOut)
        #expect(notices == 1)
        #expect(Date().timeIntervalSince(started) < 10)

        let quick = try ChildProcess.run(["/bin/echo", "done"], timeout: 30,
                                         slowNotice: (after: 10, action: { notices += 1 }))
        #expect(quick.termination == .exited(0))
        #expect(String(decoding: quick.standardOutput, as: UTF8.self) == "done\n")
        #expect(notices == 1, "a child that ends before the notice time is not announced")
    }

    @Test func aChildKilledByASignalIsReportedAsSuch() throws {
        let outcome = try ChildProcess.run(["/bin/sh", "-c", "kill -SEGV $$"], timeout: 30)
        #expect(outcome.termination == .signaled(SIGSEGV))
    }

    @Test func aChildInheritsNoDescriptorsButTheStandardThree() throws {
        let descriptor = open("/dev/null", O_RDONLY)
        defer { close(descriptor) }
        let outcome = try ChildProcess.run(["/bin/sh", "-c", "ls /proc/self/fd"], timeout: 30)
        let open = String(decoding: outcome.standardOutput, as: UTF8.self).split(separator: "\n").compactMap { Int($0) }
        // 0-2, and the descriptor ls itself opens to read the folder.
        #expect(!open.contains(Int(descriptor)))
        #expect(open.filter { $0 > 2 }.count <= 1)
    }
}
