import RBM
import RBMData
import RBMExperiments

let splits = try IDXFolder.load(folder: "../shared/data/mnist", validationCount: 10000)
let bench = Benchmark(data: splits.train)
let rows = bench.run(workerCounts: [1, 2]) { _ in }
print(Benchmark.table(rows, flopsPerSample: bench.flopsPerSample))
