import FuzzSupport
import RBM
import RBMExperiments
import RBMStore

/// The checkpoint's whole-state check, on states no libhdf5 parse stands in front of: the
/// input's bytes become a checkpoint (counters, optimizer attributes, unit type, sampler,
/// every array's values, temperatures, standardisation, image shape, history) and its stored
/// config (the input's tail, as text). `problems()` and `problemsAgainstStoredConfig` must
/// return, whatever the state; a state neither finds anything wrong with must write and read
/// back through `Checkpoint.write` / `Checkpoint.read` unchanged. What it finds becomes a case of
/// `CheckpointProblemsTests` (the input in Fuzz/regressions/checkpoint keeps the record).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = ByteReader(bytes: UnsafeBufferPointer(start: data, count: size))
    let hiddenCount = 1 + Int(reader.byte() % 6)
    let kind = Int(reader.byte() % 3)
    let states = 2 + Int(reader.byte() % 3)
    let variables = 1 + Int(reader.byte() % 5)
    let units: VisibleUnits = kind == 0 ? .bernoulli : kind == 1 ? .gaussian : .categorical(states: states)
    let visibleCount = variables * (units.oneHotStates ?? 1)
    let samplers = SamplerKind.allCases
    let sampler = samplers[Int(reader.byte()) % samplers.count]
    let chainCount = Int(reader.byte() % 4)
    let flags = reader.byte()

    let model = RBMModel(visibleCount: visibleCount, hiddenCount: hiddenCount,
                         weights: reader.floats(visibleCount * hiddenCount), visibleBias: reader.floats(visibleCount),
                         hiddenBias: reader.floats(hiddenCount), visibleUnits: units)
    var state = TrainerState(model: model, weightVelocity: reader.floats(visibleCount * hiddenCount),
                             visibleBiasVelocity: reader.floats(visibleCount), hiddenBiasVelocity: reader.floats(hiddenCount),
                             step: reader.integer(), chainVisible: nil, chainHiddenProbabilities: nil)
    if sampler.isPersistent {
        state.chainVisible = reader.floats(chainCount * visibleCount)
        state.chainHiddenProbabilities = reader.floats(chainCount * hiddenCount)
    }
    if sampler == .fastPersistentContrastiveDivergence {
        state.fastParameters = FastParameters(weights: reader.floats(visibleCount * hiddenCount),
                                              visibleBias: reader.floats(visibleCount), hiddenBias: reader.floats(hiddenCount))
    }
    if flags & 1 != 0 {
        state.visibleOffsets = reader.floats(visibleCount)
        state.hiddenOffsets = reader.floats(hiddenCount)
    }
    let epoch = reader.integer()
    let history = History(columns: [("epoch", reader.floats(Int(reader.byte() % 4)).map(Double.init)),
                                    ("reconstruction_error", reader.floats(Int(reader.byte() % 4)).map(Double.init))])
    var checkpoint = Checkpoint(
        state: state, sampler: sampler, config: "", seed: UInt64(truncatingIfNeeded: reader.integer()), epoch: epoch,
        batchInEpoch: reader.integer(), learningRate: reader.double(), momentum: reader.double(), history: history,
        createdBy: "fuzz")
    if flags & 2 != 0 { checkpoint.inverseTemperatures = reader.floats(1 + Int(reader.byte() % 4)) }
    if flags & 4 != 0 {
        checkpoint.standardization = Standardization(mean: reader.floats(visibleCount), standardDeviation: reader.floats(visibleCount))
    }
    if flags & 8 != 0 { checkpoint.imageShape = [Int(reader.byte()) - 8, Int(reader.byte())] }
    checkpoint.config = reader.rest()

    // Both checks, as `Checkpoint.readChecked` runs them before anything uses a checkpoint.
    let problems = checkpoint.problems() + checkpoint.problemsAgainstStoredConfig(path: "fuzz.h5")
    guard problems.isEmpty else { return 0 }
    let path = writeScratchFile("checkpoint.h5", data, 0)
    do {
        try checkpoint.write(to: path)
        let read = try Checkpoint.read(path: path)
        // NaN-free by the checks above, so == compares every value.
        let differences = [("state", read.state != checkpoint.state), ("epoch", read.epoch != checkpoint.epoch),
                           ("batch", read.batchInEpoch != checkpoint.batchInEpoch), ("config", read.config != checkpoint.config),
                           ("sampler", read.sampler != checkpoint.sampler)].filter(\.1).map(\.0)
        if !differences.isEmpty {
            fatalError("a checkpoint with no problems did not read back as written: \(differences)")
        }
    } catch {
        fatalError("a checkpoint with no problems could not be written and read back: \(error)")
    }
    return 0
}

/// Reads the fuzz input as the values a checkpoint holds; past its end, zeros.
struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    mutating func byte() -> UInt8 {
        defer { position += 1 }
        return position < bytes.count ? bytes[position] : 0
    }

    /// Small integers mostly (so that counters are often consistent), any Int64 sometimes.
    mutating func integer() -> Int {
        let tag = byte()
        if tag & 0x80 == 0 { return Int(tag) - 8 }
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return Int(truncatingIfNeeded: value)
    }

    mutating func double() -> Double {
        let tag = byte()
        if tag & 0x80 == 0 { return Double(tag) / 64 }
        var bits: UInt64 = 0
        for _ in 0..<8 { bits = bits << 8 | UInt64(byte()) }
        return Double(bitPattern: bits)
    }

    /// Values in [0, 1] from one byte mostly; any float's bits (NaN, ±Inf, huge) after a
    /// 0xFF marker.
    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in
            let tag = byte()
            guard tag == 0xFF else { return Float(tag) / 254 }
            var bits: UInt32 = 0
            for _ in 0..<4 { bits = bits << 8 | UInt32(byte()) }
            return Float(bitPattern: bits)
        }
    }

    mutating func rest() -> String {
        guard position < bytes.count else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[position...]), as: UTF8.self)
    }
}

@_cdecl("fuzz_checkpoint_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
