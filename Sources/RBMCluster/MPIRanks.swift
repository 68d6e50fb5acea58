/// RBMCluster: the trainer over MPI. `Cluster.world()` is the group of processes `mpirun` (or
/// `srun`) started, or a single process when there was no launcher; `MPIRanks` implements the
/// trainer's `RankGroup` with Open MPI.
import CMPI
import RBM

/// MPI_COMM_WORLD as a `RankGroup`. Only the thread that initialized MPI calls into it (MPI is
/// initialized MPI_THREAD_SERIALIZED; the workers of `DataParallel.forEach` never communicate).
public final class MPIRanks: RankGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// The host this rank runs on (MPI_Get_processor_name).
    public let host: String
    /// The job's processes on this rank's machine (MPI_Comm_split_type, shared memory).
    public let ranksOnThisMachine: Int
    let communicator: MPI_Comm

    init() {
        communicator = rbm_mpi_comm_world()
        var value: Int32 = 0
        MPI_Comm_rank(communicator, &value)
        rank = Int(value)
        MPI_Comm_size(communicator, &value)
        size = Int(value)
        var name = [CChar](repeating: 0, count: Int(rbm_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        MPI_Get_processor_name(&name, &length)
        host = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var local: MPI_Comm?
        MPI_Comm_split_type(communicator, rbm_mpi_comm_type_shared(), Int32(rank), rbm_mpi_info_null(), &local)
        MPI_Comm_size(local, &value)
        ranksOnThisMachine = max(1, Int(value))
        MPI_Comm_free(&local)
    }

    public var description: String { "rank \(rank) of \(size) on host \(host)" }

    public func exchange(_ messages: [RankMessage]) {
        var requests = [MPI_Request?](repeating: rbm_mpi_request_null(), count: messages.count)
        for (index, message) in messages.enumerated() {
            switch message {
            case let .send(peer, tag, pointer, count):
                MPI_Isend(pointer, Self.int32(count), rbm_mpi_float(), Int32(peer), Int32(tag), communicator, &requests[index])
            case let .receive(peer, tag, pointer, count):
                MPI_Irecv(pointer, Self.int32(count), rbm_mpi_float(), Int32(peer), Int32(tag), communicator, &requests[index])
            }
        }
        MPI_Waitall(Int32(requests.count), &requests, rbm_mpi_statuses_ignore())
    }

    public func allGather(_ buffer: UnsafeMutablePointer<Float>, counts: [Int], offsets: [Int]) {
        var counts32 = counts.map(Self.int32)
        var offsets32 = offsets.map(Self.int32)
        MPI_Allgatherv(rbm_mpi_in_place(), 0, rbm_mpi_float(), buffer, &counts32, &offsets32, rbm_mpi_float(), communicator)
    }

    public func maximum(_ value: Int) -> Int {
        var local = Int64(value)
        var result: Int64 = 0
        MPI_Allreduce(&local, &result, 1, rbm_mpi_int64(), rbm_mpi_max(), communicator)
        return Int(result)
    }

    public func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8] {
        var count = Int64(bytes.count)
        MPI_Bcast(&count, 1, rbm_mpi_int64(), Int32(root), communicator)
        var buffer = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        if count > 0 { MPI_Bcast(&buffer, Self.int32(Int(count)), rbm_mpi_byte(), Int32(root), communicator) }
        return buffer
    }

    public func allGather(doubles values: [Double]) -> [Double] {
        var count = Int64(values.count)
        var counts = [Int64](repeating: 0, count: size)
        MPI_Allgather(&count, 1, rbm_mpi_int64(), &counts, 1, rbm_mpi_int64(), communicator)
        var counts32 = counts.map { Self.int32(Int($0)) }
        var offsets32 = [Int32](repeating: 0, count: size)
        for index in 1..<max(1, size) { offsets32[index] = offsets32[index - 1] + counts32[index - 1] }
        var result = [Double](repeating: 0, count: Int(counts.reduce(0, +)))
        var local = values
        MPI_Allgatherv(&local, Self.int32(values.count), rbm_mpi_double(), &result, &counts32, &offsets32,
                       rbm_mpi_double(), communicator)
        return result
    }

    // MARK: Point-to-point bytes (the sweep's hand-out of runs)

    /// Sends `bytes` to rank `peer` (blocking until the buffer may be reused).
    public func send(_ bytes: [UInt8], to peer: Int, tag: Int) {
        var length = Int64(bytes.count)
        MPI_Send(&length, 1, rbm_mpi_int64(), Int32(peer), Int32(tag), communicator)
        if !bytes.isEmpty { bytes.withUnsafeBytes { _ = MPI_Send($0.baseAddress, Self.int32(bytes.count), rbm_mpi_byte(), Int32(peer), Int32(tag), communicator) } }
    }

    /// The rank of a message with `tag` waiting to be received, or nil (does not block).
    public func pendingMessage(tag: Int) -> Int? {
        var flag: Int32 = 0
        var status = MPI_Status()
        MPI_Iprobe(rbm_mpi_any_source(), Int32(tag), communicator, &flag, &status)
        return flag != 0 ? Int(status.MPI_SOURCE) : nil
    }

    /// Receives what `send(_:to:tag:)` sent from `peer` (blocks until it arrives).
    public func receive(from peer: Int, tag: Int) -> [UInt8] {
        var length: Int64 = 0
        MPI_Recv(&length, 1, rbm_mpi_int64(), Int32(peer), Int32(tag), communicator, rbm_mpi_status_ignore())
        var bytes = [UInt8](repeating: 0, count: Int(length))
        if length > 0 { MPI_Recv(&bytes, Self.int32(Int(length)), rbm_mpi_byte(), Int32(peer), Int32(tag), communicator, rbm_mpi_status_ignore()) }
        return bytes
    }

    static func int32(_ value: Int) -> Int32 {
        guard let narrow = Int32(exactly: value) else { preconditionFailure("\(value) elements exceed one MPI message (2³¹ − 1)") }
        return narrow
    }
}
