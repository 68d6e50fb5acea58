import Foundation
import Testing
import RBM

@Suite struct ExactLikelihoodTests {
    @Test(arguments: [(6, 4), (4, 7), (5, 5)])
    func logPartitionFunctionMatchesBruteForceOverBothLayers(visible: Int, hidden: Int) {
        let model = Reference.randomModel(visible: visible, hidden: hidden, scale: 1.2,
                                          seed: UInt64(visible * 10 + hidden))
        let exact = model.exactLogPartitionFunction(workers: 2)
        let bruteForce = Reference.logPartitionByBruteForce(model)
        #expect(abs(exact - bruteForce) < 1e-5 * max(1, abs(bruteForce)))
    }

    @Test func probabilitiesOfAllVisibleStatesSumToOne() {
        let model = Reference.randomModel(visible: 7, hidden: 12, scale: 1.0, seed: 5)
        let logZ = model.exactLogPartitionFunction()
        let states = Reference.allStates(7).flatMap { $0 }
        let energies = model.freeEnergies(visible: states, rows: 1 << 7)
        let total = energies.reduce(0.0) { $0 + exp(-$1 - logZ) }
        #expect(abs(total - 1) < 1e-5)
    }
}
