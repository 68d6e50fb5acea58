import Foundation
import Testing
import RBM
@testable import RBMStore

/// `Checkpoint.problems()`: every kind of damage to a checkpoint's state is named (the dataset
/// or attribute and what was expected), and `Checkpoint.read` refuses it.
@Suite struct CheckpointProblemsTests {
    /// The objects named by the problems of `checkpoint` after `damage`.
    func named(_ damage: (inout Checkpoint) -> Void) -> [String] {
        var checkpoint = sampleCheckpoint()
        damage(&checkpoint)
        return checkpoint.problems().map(\.object)
    }

    @Test func anIntactCheckpointHasNoProblems() {
        #expect(sampleCheckpoint().problems().isEmpty)
        #expect(sampleCheckpoint(persistent: false).problems().isEmpty)
    }

    @Test func negativeOrInconsistentCountersAreNamed() {
        #expect(named { $0.epoch = -1 }.contains("attribute epoch"))
        #expect(named { $0.batchInEpoch = -2 }.contains("attribute batch"))
        #expect(named { $0.state.step = -5 }.contains("attribute step"))
        // 2 epochs and 17 minibatches need at least 19 updates.
        #expect(named { $0.state.step = 18 } == ["attribute step"])
        #expect(named { $0.state.step = 19 }.isEmpty)
    }

    /// Counters and image sizes from a file can be any Int64: sums and products that overflow
    /// are problems, not traps (fuzz-checkpoint found epoch + batch overflowing).
    @Test func countersNearIntMaxAreProblemsNotTraps() {
        #expect(named { $0.epoch = .max; $0.batchInEpoch = 5 } == ["attribute step", "/history"])
        #expect(named { $0.imageShape = [1 << 40, 1 << 40] } == ["attributes image_rows, image_columns"])
    }

    @Test func optimizerAttributesOutOfRangeAreNamed() {
        #expect(named { $0.learningRate = -0.1 } == ["/optimizer attribute learning_rate"])
        #expect(named { $0.learningRate = .infinity } == ["/optimizer attribute learning_rate"])
        #expect(named { $0.momentum = 1.5 } == ["/optimizer attribute momentum"])
        #expect(named { $0.momentum = .nan } == ["/optimizer attribute momentum"])
    }

    @Test func nonFiniteValuesAreNamedWithTheirPlace() {
        var checkpoint = sampleCheckpoint()
        checkpoint.state.model.weights[3 * 3 + 1] = .nan
        checkpoint.state.model.weights[20] = -.infinity
        let problem = try! #require(checkpoint.problems().first)
        #expect(problem.description == "/model/weights: 2 value(s) not finite (NaN or Inf), the first at [3, 1]")
        #expect(problem.isDivergedModel)
        #expect(named { $0.state.weightVelocity[0] = .nan } == ["/optimizer/weight_velocity"])
        #expect(named { $0.state.hiddenBiasVelocity[2] = .infinity } == ["/optimizer/hidden_bias_velocity"])
        #expect(named { $0.state.chainVisible![5] = .nan } == ["/sampler/persistent_chains"])
    }

    @Test func chainValuesTheUnitsCannotTakeAreNamed() {
        #expect(named { $0.state.chainVisible![4] = 2 } == ["/sampler/persistent_chains"])
        #expect(named { $0.state.chainHiddenProbabilities![1] = -0.5 } == ["/sampler/persistent_hidden_probabilities"])
        // Gaussian chains take any finite value.
        #expect(named { $0.state.model.visibleUnits = .gaussian; $0.state.chainVisible![4] = -3.5 }.isEmpty)
        // Categorical chains are one-hot groups: two 1s in a group of 7 are not.
        #expect(named { $0.state.model.visibleUnits = .categorical(states: 7); $0.state.chainVisible![1] = 1 }
                == ["/sampler/persistent_chains"])
    }

    @Test func temperaturesStandardisationOffsetsAndHistoryAreChecked() {
        #expect(named { $0.sampler = .parallelTempering } == ["/sampler/inverse_temperatures"])
        #expect(named { $0.sampler = .parallelTempering; $0.inverseTemperatures = [1, 0.9, 0.95, 0.8] }
                == ["/sampler/inverse_temperatures"])
        // 4 chains are not whole rows of 3 temperatures.
        #expect(named { $0.sampler = .parallelTempering; $0.inverseTemperatures = [1, 0.9, 0.8] } == ["/sampler/persistent_chains"])
        #expect(named { $0.sampler = .parallelTempering; $0.inverseTemperatures = [1, 0.9] }.isEmpty)
        let deviations: [Float] = [1, 0, 1, 1, 1, 1, 1]
        #expect(named { $0.standardization = Standardization(mean: [Float](repeating: 0, count: 7), standardDeviation: deviations) }
                == ["/data/std"])
        #expect(named { $0.state.hiddenOffsets = [0.5, 1.5, 0.5]; $0.state.visibleOffsets = [Float](repeating: 0.5, count: 7) }
                == ["/centering/hidden_offsets"])
        #expect(named { $0.imageShape = [2, 3] } == ["attributes image_rows, image_columns"])
        #expect(named { $0.imageShape = [7, 1] }.isEmpty)
        #expect(named { $0.history.columns[0].values.append(3) } == ["/history"])
        #expect(named { $0.epoch = 3; $0.state.step = 100 } == ["/history"])
    }

    /// What `problems()` finds, `read` refuses after writing, naming the file and each object.
    @Test func readRefusesACheckpointWithProblems() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var checkpoint = sampleCheckpoint()
        checkpoint.batchInEpoch = -1
        checkpoint.momentum = 3
        let path = folder + "/checkpoint.h5"
        try checkpoint.write(to: path)
        #expect {
            try Checkpoint.read(path: path)
        } throws: { error in
            guard case let .invalidCheckpoint(errorPath, problems) = error as? StoreError else { return false }
            return errorPath == path && problems.map(\.object) == ["attribute batch", "/optimizer attribute momentum"]
                && "\(error)".hasPrefix("\(path): not a usable checkpoint:")
        }
        // The contents are still readable as they are, for `rbm inspect`.
        #expect(try Checkpoint.readContents(path: path).batchInEpoch == -1)
        let report = try Inspection.describe(path: path)
        #expect(report.isCheckpoint && report.problems.count == 2)
        #expect(report.text.contains("NOT USABLE: 2 problem(s):") && report.text.contains("- attribute batch: is -1"))
    }
}
