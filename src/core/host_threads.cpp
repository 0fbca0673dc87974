#include <kyper/host_threads.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include <sched.h>

namespace kyper {

namespace {
// Cores this process may run on (its affinity mask, as mpiexec or a batch system set it).
int usable_cores() {
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) return CPU_COUNT(&mask);
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

// Ranks of this job on this node, from the launcher's environment (Open MPI, MPICH/Hydra); 1 alone.
int ranks_on_this_node() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMI_LOCAL_SIZE"}) {
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  }
  return 1;
}

bool has_option(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  return false;
}
}  // namespace

HostThreadDefaults apply_host_thread_defaults(int argc, char** argv) {
  HostThreadDefaults d;
  if (const char* bind = std::getenv("OMP_PROC_BIND")) {
    d.proc_bind = bind;
  } else {
    setenv("OMP_PROC_BIND", "false", 0);
    d.proc_bind = "false";
    d.proc_bind_set_by_kyper = true;
  }
  d.cores = usable_cores();
  d.local_ranks = ranks_on_this_node();
  const bool user_threads = std::getenv("OMP_NUM_THREADS") || std::getenv("KOKKOS_NUM_THREADS") ||
                            has_option(argc, argv, "--kokkos-num-threads") || has_option(argc, argv, "--kokkos-threads");
  if (!user_threads) d.threads = std::max(1, d.cores / d.local_ranks);
  return d;
}

std::string HostThreadDefaults::describe() const {
  std::ostringstream out;
  out << "OMP_PROC_BIND=" << proc_bind << (proc_bind_set_by_kyper ? " (set by kyper; it was unset)" : " (yours)") << "; ";
  if (threads > 0)
    out << threads << " threads per process (set by kyper: " << cores << " usable cores / " << local_ranks
        << (local_ranks == 1 ? " rank" : " ranks") << " on this node)";
  else
    out << "threads per process: yours (OMP_NUM_THREADS, KOKKOS_NUM_THREADS or --kokkos-num-threads)";
  return out.str();
}

}  // namespace kyper
