import Testing
import RBM
import RBMData
@testable import RBMExperiments

/// `rbm bench --units`: the data each kind is measured on, and the table's ratios.
@Suite struct BenchmarkUnitsTests {
    /// Categorical units get one-hot groups of 4 on the same 784 columns, the state the group's
    /// mean intensity quantised; the other kinds keep the images (Bernoulli binarizes them).
    @Test func categoricalDataAreOneHotQuantisedMeansOnTheSameColumns() {
        let images = Dataset(values: (0..<(3 * 784)).map { Float($0 % 97) / 96 }, count: 3, featureCount: 784, source: "test")
        let (oneHot, binarization) = Benchmark.unitsData(images, units: VisibleUnits(kind: .categorical, parameter: 4))
        #expect(oneHot.featureCount == 784 && oneHot.count == 3 && binarization == .none)
        for row in 0..<3 {
            for group in 0..<196 {
                let states = (0..<4).map { oneHot.values[row * 784 + group * 4 + $0] }
                #expect(states.allSatisfy { $0 == 0 || $0 == 1 } && states.reduce(0, +) == 1)
                let mean = (0..<4).map { images.values[row * 784 + group * 4 + $0] }.reduce(0, +) / 4
                #expect(states.firstIndex(of: 1) == min(3, Int(mean * 4)), "row \(row) group \(group)")
            }
        }
        #expect(Benchmark.unitsData(images, units: .bernoulli).1 == .stochastic)
        #expect(Benchmark.unitsData(images, units: .gaussian).1 == .none)
    }

    /// Time ratios are inverse speed ratios: against Bernoulli's row of the same sampler, and
    /// for PT rows against the kind's own PCD-1, beside (2M + 2)/4.
    @Test func tableDividesTimesByBernoullisAndByTheKindsOwnPCD() {
        let rows = [
            Benchmark.UnitsRow(units: .bernoulli, label: "PCD-1", temperatures: 1, samplesPerSecond: 80_000),
            Benchmark.UnitsRow(units: .bernoulli, label: "PT-1 × 5", temperatures: 5, samplesPerSecond: 20_000),
            Benchmark.UnitsRow(units: .gaussian, label: "PCD-1", temperatures: 1, samplesPerSecond: 40_000),
            Benchmark.UnitsRow(units: .gaussian, label: "PT-1 × 5", temperatures: 5, samplesPerSecond: 16_000),
            Benchmark.UnitsRow(units: .gaussian, label: "PCD-1, learned σ", temperatures: 1, samplesPerSecond: 32_000,
                               learnsVariance: true),
        ]
        let lines = Benchmark.unitsTable(rows).split(separator: "\n").map(String.init)
        #expect(lines[2] == "| bernoulli | PCD-1 | 80000 | 1.00 |  |  |")
        #expect(lines[3] == "| bernoulli | PT-1 × 5 | 20000 | 1.00 | 4.00 | 3.00 |")
        #expect(lines[4] == "| gaussian | PCD-1 | 40000 | 2.00 |  |  |")
        #expect(lines[5] == "| gaussian | PT-1 × 5 | 16000 | 1.25 | 2.50 | 3.00 |")
        #expect(lines[6] == "| gaussian | PCD-1, learned σ | 32000 | 2.50 | 1.25 |  |")
    }
}
