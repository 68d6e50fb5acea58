import CMPI
import RBM
#if canImport(Glibc)
import Glibc
#endif

/// The process's place in a job: MPI is initialized only when a launcher started the process
/// (`mpirun`, `srun` with PMI), so plain `rbm train` never touches it.
public enum Cluster {
    /// True when `mpirun` or `srun` started this process (their environment variables).
    public static var isLaunchedByMPI: Bool {
        let names: [String] = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]
        return names.contains { getenv($0) != nil }
    }

    /// The job's processes: MPI_COMM_WORLD under a launcher (MPI is initialized on the first
    /// call), otherwise a single process.
    public static func world() -> any RankGroup {
        state.world()
    }

    /// The MPI world when MPI was initialized, for the hand-out of sweep runs.
    public static var mpiWorld: MPIRanks? { state.mpi }

    /// Ends MPI cleanly (every rank must call it before exiting normally).
    public static func finalize() { state.finalize() }

    /// Ends every rank of the job with `status` (after an error on one rank, the others would
    /// otherwise wait for it forever).
    public static func abort(status: Int32) -> Never {
        if let world = state.mpi { MPI_Abort(world.communicator, status) }
        exit(status)
    }

    private static let state = ClusterState()
}

/// MPI's initialization, once per process.
private final class ClusterState: @unchecked Sendable {
    var mpi: MPIRanks?
    var initialized = false
    var finalized = false

    func world() -> any RankGroup {
        if !initialized {
            initialized = true
            if Cluster.isLaunchedByMPI {
                var provided: Int32 = 0
                MPI_Init_thread(nil, nil, rbm_mpi_thread_serialized(), &provided)
                mpi = MPIRanks()
                // Ranks sharing a machine share its cores: their workers must not spin for them.
                DataParallel.processesSharingCores = mpi!.ranksOnThisMachine
            }
        }
        return mpi ?? SingleProcess()
    }

    func finalize() {
        guard mpi != nil, !finalized else { return }
        finalized = true
        MPI_Finalize()
    }
}
