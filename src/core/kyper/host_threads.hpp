// Sensible host-thread settings for a Kyper that initialises Kokkos itself, when the user set none,
// so a plain `kyper search` neither oversubscribes a node shared by several ranks nor prints
// Kokkos' OMP_PROC_BIND warning. Anything the user set (environment or --kokkos-* option) wins.
#pragma once

#include <string>

namespace kyper {

struct HostThreadDefaults {
  // OMP_PROC_BIND: "false" set by Kyper when unset (what the OpenMP runtime does anyway when it is
  // unset: no binding; saying it explicitly silences Kokkos' warning), or the user's value.
  std::string proc_bind;
  bool proc_bind_set_by_kyper = false;
  // Threads per process: the usable cores divided by the ranks on this node, when neither
  // OMP_NUM_THREADS, KOKKOS_NUM_THREADS nor --kokkos-num-threads/--kokkos-threads is given; 0 when
  // the user's setting stands.
  int threads = 0;
  int cores = 0, local_ranks = 1;

  // "OMP_PROC_BIND=false (set by kyper; it was unset); 2 threads per process (2 usable cores / 1 rank on this node)".
  std::string describe() const;
};

// Sets OMP_PROC_BIND in the environment when unset and works out the thread count; call before
// Kokkos is initialised. `argc`/`argv` are only read (for --kokkos-num-threads / --kokkos-threads).
HostThreadDefaults apply_host_thread_defaults(int argc, char** argv);

}  // namespace kyper
