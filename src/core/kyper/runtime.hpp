// Kokkos and MPI set-up that respects a host code: if the host already initialised them, Kyper
// uses them and never finalises them; otherwise it initialises and finalises them itself. On GPU
// builds each rank takes the device of its node-local rank.
#pragma once

#include <string>

#include <kyper/host_threads.hpp>

namespace kyper {

class Runtime {
 public:
  // `device_id` < 0: the node-local MPI rank modulo the visible devices (GPU builds), or Kokkos' pick.
  Runtime(int& argc, char**& argv, int device_id = -1, bool use_mpi = true);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  bool owns_kokkos() const { return owns_kokkos_; }
  bool owns_mpi() const { return owns_mpi_; }
  // What Kyper chose for the host threads when it initialised Kokkos (empty when it adopted Kokkos).
  const HostThreadDefaults& thread_defaults() const { return thread_defaults_; }

 private:
  bool owns_kokkos_ = false;
  bool owns_mpi_ = false;
  HostThreadDefaults thread_defaults_;
};

// "Kokkos 3.4.1; execution spaces: OpenMP (2 threads), Serial; device arch: ..." for --version.
std::string describe_backends();

}  // namespace kyper
