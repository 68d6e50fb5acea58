import Foundation
import Testing
@testable import RBMStore

/// `rbm inspect` lists any HDF5 file's contents, and must end on files whose groups contain
/// themselves: HDF5 allows hard-link cycles, and fuzzing found corrupt files that claim them
/// (the listing used to recurse until the stack overflowed).
@Suite struct InspectionTests {
    @Test func aGroupThatContainsItselfIsListedDownToTheDepthLimit() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cycle.h5"
        do {
            let file = try HDF5File.create(path: path)
            try file.createGroup("/loop")
            H5LcreateHardForTests(file, target: "/loop", link: "/loop/again")   // /loop/again is /loop
        }
        let lines = try Inspection.describe(path: path).text.split(separator: "\n").map(String.init)
        let deepest = "/loop" + String(repeating: "/again", count: Inspection.maximumDepth - 1) + "/"
        #expect(lines.contains { $0.hasSuffix(deepest) })
        #expect(!lines.contains { $0.contains(deepest + "again/") })
        #expect(lines.contains { $0.contains("groups nested deeper than \(Inspection.maximumDepth) levels are not listed") })
    }

    @Test func aBranchingCycleIsCutAtTheObjectBudget() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/branching.h5"
        do {
            let file = try HDF5File.create(path: path)
            try file.createGroup("/loop")
            H5LcreateHardForTests(file, target: "/loop", link: "/loop/left")
            H5LcreateHardForTests(file, target: "/loop", link: "/loop/right")
        }
        // 2 + 4 + … + 2^16 objects reachable; the listing stops at the budget.
        let lines = try Inspection.describe(path: path).text.split(separator: "\n").map(String.init)
        let listed = lines.filter { $0.hasSuffix("/") && $0.contains("/loop") }
        #expect(listed.count == Inspection.maximumListedObjects)
        #expect(lines.contains { $0.contains("only the first \(Inspection.maximumListedObjects) are listed") })
        #expect(lines.filter { $0.contains("only the first") }.count == 1, "the cut is said once")
    }
}
