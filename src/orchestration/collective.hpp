// Internal to the scheduler (not installed): a step that every rank of a communicator takes
// together and that fails for all of them when it fails for one (a folder held by another search,
// a damaged results table), so that no rank waits forever for a partner that has given up.
#pragma once

#include <functional>

#include <kyper/config.hpp>

#if KYPER_HAS_MPI
#include <mpi.h>

namespace kyper::scheduler_detail {

// Runs `step` on this rank, then agrees with every rank of `comm` on the outcome. When the step
// threw on some rank, every rank throws: a failing rank its own error, the others a kyper::Error
// with the message of the lowest failing rank. Collective (all ranks call it; it synchronises
// them like a barrier).
void run_collectively(MPI_Comm comm, const std::function<void()>& step);

}  // namespace kyper::scheduler_detail
#endif
