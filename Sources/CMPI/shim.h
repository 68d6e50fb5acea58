// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are macros over global symbols,
// which Swift does not import: each is wrapped here as a function.
#include <mpi.h>

static inline MPI_Comm rbm_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype rbm_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype rbm_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype rbm_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype rbm_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op rbm_mpi_max(void) { return MPI_MAX; }
static inline MPI_Request rbm_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *rbm_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *rbm_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int rbm_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int rbm_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int rbm_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline MPI_Datatype rbm_mpi_int64(void) { return MPI_INT64_T; }
static inline void *rbm_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int rbm_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info rbm_mpi_info_null(void) { return MPI_INFO_NULL; }
