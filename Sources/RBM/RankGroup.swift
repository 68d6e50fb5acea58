/// The processes ("ranks") one training run is spread over, as the trainer sees them: under
/// `mpirun` an MPI communicator (module RBMCluster), otherwise `SingleProcess`.
///
/// Ranks own contiguous ranges of the minibatch's shards (`TrainerConfiguration.shards(ofRank:ranks:)`).
/// Everything here is collective: every rank calls the same operations in the same order.
public protocol RankGroup: AnyObject, Sendable {
    /// This process's index, 0 ..< size. Rank 0 owns the run folder.
    var rank: Int { get }
    var size: Int { get }
    /// Posts every message, then waits until all have completed. Sends and receives pair up by
    /// (peer, tag); their order in the list does not matter.
    func exchange(_ messages: [RankMessage])
    /// In place: rank j holds `counts[j]` floats at `offsets[j]` of `buffer`; afterwards every
    /// rank's `buffer` holds every rank's part.
    func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int], offsets: [Int])
    /// The largest of the ranks' values, on every rank.
    func maximum(_ value: Int) -> Int
    /// Rank `root`'s bytes, on every rank (the others' `bytes` are ignored).
    func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8]
    /// Every rank's `values` (any length), concatenated in rank order, on every rank.
    func allGather(doubles values: [Double]) -> [Double]
    /// A name for messages: "rank 1 of 4 on host node07".
    var description: String { get }
}

/// One point-to-point transfer of floats between two ranks.
public enum RankMessage {
    case send(to: Int, tag: Int, UnsafePointer<Float>, count: Int)
    case receive(from: Int, tag: Int, UnsafeMutablePointer<Float>, count: Int)
}

/// The group of one: every collective is the identity.
public final class SingleProcess: RankGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func exchange(_ messages: [RankMessage]) {
        precondition(messages.isEmpty, "a single process has no peers to exchange with")
    }
    public func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int], offsets: [Int]) {}
    public func maximum(_ value: Int) -> Int { value }
    public func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8] { bytes }
    public func allGather(doubles values: [Double]) -> [Double] { values }
    public var description: String { "a single process" }
}

extension RankGroup {
    public var isRoot: Bool { rank == 0 }

    /// Floats from `root` on every rank.
    public func broadcast(floats: [Float], root: Int) -> [Float] {
        let bytes = floats.withUnsafeBytes { Array($0) }
        let received = broadcast(bytes, root: root)
        return received.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// `0..<count` cut into `parts` contiguous pieces, the first ones one longer when `parts`
/// does not divide `count`: piece `index`.
public func evenPiece(of count: Int, parts: Int, index: Int) -> Range<Int> {
    let base = count / parts
    let extra = count % parts
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}
