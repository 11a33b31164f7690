// Open MPI's C interface (libopenmpi-dev). Its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM,
// MPI_IN_PLACE, …) are macros over addresses of library globals, which Swift cannot import:
// these inline functions hand them over.
#include <mpi.h>

static inline MPI_Comm siglip_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype siglip_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype siglip_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op siglip_mpi_sum(void) { return MPI_SUM; }
static inline void *siglip_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *siglip_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int siglip_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
