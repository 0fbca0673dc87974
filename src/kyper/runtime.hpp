// Kokkos (and MPI) set-up that respects a host code: if the host already initialised them, Kyper
// uses them and never finalises them; otherwise it initialises and finalises them itself.
#pragma once

#include <string>

namespace kyper {

class Runtime {
 public:
  // `device_id` < 0: let Kokkos pick (on GPUs the scheduler passes the node-local rank).
  Runtime(int& argc, char**& argv, int device_id = -1);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  bool owns_kokkos() const { return owns_kokkos_; }

 private:
  bool owns_kokkos_ = false;
};

// "Kokkos 3.4.1; execution spaces: OpenMP (2 threads), Serial; device arch: ..." for --version.
std::string describe_backends();

}  // namespace kyper
