import Foundation
import RBM
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

@Suite struct CurveTickTests {
    @Test func epochTicksAreWholeRoundNumbers() {
        let ticks = LearningCurves.ticks(from: 1, to: 30, minimumStep: 1)
        #expect(ticks.values == [5, 10, 15, 20, 25, 30] && ticks.decimals == 0)
        #expect(LearningCurves.ticks(from: 1, to: 2, minimumStep: 1).values == [1, 2])
        #expect(LearningCurves.ticks(from: 1, to: 500, minimumStep: 1).values == [100, 200, 300, 400, 500])
    }

    @Test func valueTicksAreRoundWithTheDecimalsTheyNeed() {
        let ticks = LearningCurves.ticks(from: -0.013, to: 0.47)
        #expect(ticks.values.count >= 3 && ticks.values.count <= 7)
        #expect(ticks.values.allSatisfy { ($0 * 10).rounded() == $0 * 10 } && ticks.decimals == 1)
        #expect(LearningCurves.ticks(from: -112.4, to: -95.2).values == [-110, -105, -100])
    }
}
