import Testing
import RBM
@testable import RBMData

@Suite struct MinibatchTests {
    let dataset = Dataset(values: (0..<(50 * 16)).map { Float($0 % 17) / 16 }, count: 50, featureCount: 16,
                          source: "test")

    func binarize(_ binarization: Binarization, samples: [Int], epoch: UInt32, seed: UInt64 = 3) -> [Float] {
        var output = [Float](repeating: -1, count: samples.count * 16)
        output.withUnsafeMutableBufferPointer {
            binarization.apply(to: dataset, samples: samples, epoch: epoch, seed: seed, into: $0.baseAddress!)
        }
        return output
    }

    @Test func thresholdAndNoneAreExact() {
        let thresholded = binarize(.threshold, samples: [0, 1], epoch: 0)
        let raw = binarize(.none, samples: [0, 1], epoch: 0)
        for index in 0..<32 {
            #expect(raw[index] == dataset.values[index])
            #expect(thresholded[index] == (dataset.values[index] >= 0.5 ? 1 : 0))
        }
    }

    @Test func stochasticBinarizationIsFreshEachEpochAndKeyedBySample() {
        let epoch0 = binarize(.stochastic, samples: Array(0..<50), epoch: 0)
        let epoch1 = binarize(.stochastic, samples: Array(0..<50), epoch: 1)
        #expect(epoch0 != epoch1)
        #expect(epoch0 == binarize(.stochastic, samples: Array(0..<50), epoch: 0))
        // Sample 7 is drawn the same wherever it lands in a batch.
        let alone = binarize(.stochastic, samples: [7], epoch: 0)
        #expect(alone == Array(epoch0[(7 * 16)..<(8 * 16)]))
        #expect(Set(epoch0) == [0, 1])
    }

    @Test func stochasticBinarizationHasTheIntensitiesAsMeans() {
        // Average many epochs of one sample: each unit's frequency approaches its intensity.
        var sums = [Double](repeating: 0, count: 16)
        let epochs = 3000
        for epoch in 0..<epochs {
            let values = binarize(.stochastic, samples: [5], epoch: UInt32(epoch))
            for i in 0..<16 { sums[i] += Double(values[i]) }
        }
        for i in 0..<16 {
            let p = Double(dataset.values[5 * 16 + i])
            let tolerance = 5 * (p * (1 - p) / Double(epochs)).squareRoot() + 1e-12
            #expect(abs(sums[i] / Double(epochs) - p) <= tolerance)
        }
    }

    @Test func shuffleIsAPermutationFixedBySeedAndEpoch() {
        let order = shuffledOrder(count: 1000, seed: 9, epoch: 4)
        #expect(order.sorted() == Array(0..<1000))
        #expect(order == shuffledOrder(count: 1000, seed: 9, epoch: 4))
        #expect(order != shuffledOrder(count: 1000, seed: 9, epoch: 5))
        #expect(order != shuffledOrder(count: 1000, seed: 10, epoch: 4))
        #expect(order != Array(0..<1000))
    }

    /// Gathering rows and binarizing them in place gives the bits of binarizing them straight
    /// from the dataset: the draws are keyed by sample, not by position or path.
    @Test func gatheredBinarizationEqualsDirectBinarization() {
        let order = shuffledOrder(count: 50, seed: 3, epoch: 2)
        for binarization in Binarization.allCases {
            let batch = SourceMinibatch(source: dataset, order: order[5..<25], binarization: binarization, epoch: 2, seed: 3)
            var gathered = [Float](repeating: 0, count: 20 * 16)
            gathered.withUnsafeMutableBufferPointer { batch.copyRows(0..<20, into: $0.baseAddress!) }
            var direct = [Float](repeating: 0, count: 20 * 16)
            direct.withUnsafeMutableBufferPointer {
                binarization.apply(to: dataset, samples: order[5..<25], epoch: 2, seed: 3, into: $0.baseAddress!)
            }
            #expect(gathered == direct, "\(binarization)")
        }
    }

    @Test func minibatchCopiesTheRowsOfItsOrderSlice() {
        let order = shuffledOrder(count: 50, seed: 1, epoch: 0)
        let batch = SourceMinibatch(source: dataset, order: order[10..<20], binarization: .none, epoch: 0, seed: 1)
        var rows = [Float](repeating: 0, count: 3 * 16)
        rows.withUnsafeMutableBufferPointer { batch.copyRows(2..<5, into: $0.baseAddress!) }
        for (position, sample) in order[12..<15].enumerated() {
            #expect(Array(rows[(position * 16)..<((position + 1) * 16)])
                    == Array(dataset.values[(sample * 16)..<((sample + 1) * 16)]))
        }
    }
}

@Suite struct MarginalTests {
    @Test func marginalsAreTheBinarizedDataExpectations() {
        let dataset = Dataset(values: [0.2, 0.6, 0.5, 0.4, 1.0, 0.0], count: 3, featureCount: 2, source: "m")
        // Stochastic and none: the intensities' means; threshold: the share at or above 0.5.
        let stochastic = Binarization.stochastic.marginals(of: dataset)
        #expect(abs(stochastic[0] - 1.7 / 3) < 1e-6 && abs(stochastic[1] - 1.0 / 3) < 1e-6)
        #expect(Binarization.none.marginals(of: dataset) == Binarization.stochastic.marginals(of: dataset))
        #expect(Binarization.threshold.marginals(of: dataset) == [Float(2.0 / 3), Float(1.0 / 3)])
    }
}
