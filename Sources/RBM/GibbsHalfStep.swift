/// The draws of a Gibbs half-step over a block of rows: the loops that every sampler runs —
/// the trainer's layouts (row shards, hidden blocks, visible blocks), parallel tempering,
/// `GibbsSampler` and AIS. Which numbers each row draws is the caller's stream (for the trainer,
/// `RandomStream.gibbs`) and its `streamRow`: the row of the stream that the block's row r
/// reads (its chain's index), so that any split of the rows draws what the whole would.
public enum GibbsHalfStep {
    /// Bernoulli draws, output = uniform < probability, for `rows` rows × the units `units` (all
    /// of a row, or a block starting at a multiple of 32 units): the hidden half of every step,
    /// and the visible half of binary units. Rows lie `stride` floats apart in `probabilities`
    /// and `output`, which may be the same memory.
    @inlinable
    public static func drawBernoulli(_ stream: RandomStream, rows: Int, stride: Int, units: Range<Int>,
                                     streamRow: (Int) -> Int, probabilities: UnsafePointer<Float>,
                                     into output: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let offset = r * stride + units.lowerBound
            stream.bernoulli(row: UInt32(streamRow(r)), firstUnit: units.lowerBound, probabilities: probabilities + offset,
                             count: units.count, into: output + offset)
        }
    }

    /// v ~ P(v | h) for `rows` rows of `count` visible units, from their conditional means
    /// (`VisibleUnits.applyMeans`), rows `count` floats apart (`meansStride` apart in `means`:
    /// 0 draws every row around the same means); `output` may be `means`.
    @inlinable
    public static func drawVisible(_ units: VisibleUnits, _ stream: RandomStream, rows: Int, count: Int,
                                   streamRow: (Int) -> Int, means: UnsafePointer<Float>, meansStride: Int? = nil,
                                   into output: UnsafeMutablePointer<Float>) {
        let stride = meansStride ?? count
        for r in 0..<rows {
            units.sample(stream, row: UInt32(streamRow(r)), means: means + r * stride, count: count, into: output + r * count)
        }
    }
}
