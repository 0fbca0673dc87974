#include <kyper/runtime.hpp>

#include <kyper/host_threads.hpp>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>
#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda_runtime.h>
#elif defined(KOKKOS_ENABLE_HIP)
#include <hip/hip_runtime.h>
#endif
#include <kyper/config.hpp>
#if KYPER_HAS_MPI
#include <mpi.h>
#endif

namespace kyper {

namespace {
#if KYPER_HAS_MPI && (defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP))
int node_local_rank() {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int rank = 0;
  MPI_Comm_rank(node, &rank);
  MPI_Comm_free(&node);
  return rank;
}
#endif
}  // namespace

Runtime::Runtime(int& argc, char**& argv, int device_id, bool use_mpi) {
#if KYPER_HAS_MPI
  int mpi_ready = 0;
  MPI_Initialized(&mpi_ready);
  if (use_mpi && !mpi_ready) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    owns_mpi_ = true;
    mpi_ready = 1;
  }
#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
  if (device_id < 0 && mpi_ready) {
    int devices = 0;
#if defined(KOKKOS_ENABLE_CUDA)
    if (cudaGetDeviceCount(&devices) != cudaSuccess) devices = 0;
#else
    if (hipGetDeviceCount(&devices) != hipSuccess) devices = 0;
#endif
    if (devices > 0) device_id = node_local_rank() % devices;
  }
#endif
#else
  (void)use_mpi;
#endif
  if (Kokkos::is_initialized()) return;
  // Kokkos reads (and removes) its --kokkos-* options from argv on every version; the device id
  // goes in as one more such option, unless the user named one. Kokkos before 3.7 calls
  // --kokkos-num-threads --kokkos-threads: the newer name is translated, so both work everywhere.
  std::vector<std::string> added;  // options Kyper adds or rewrites (kept alive through initialize)
  added.reserve(std::size_t(argc) + 2);
  thread_defaults_ = apply_host_thread_defaults(argc, argv);
  std::vector<char*> args;
  bool user_device = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    user_device = user_device || arg.rfind("--kokkos-device-id", 0) == 0;
#if KOKKOS_VERSION < 30700
    if (i > 0 && arg.rfind("--kokkos-num-threads=", 0) == 0) {
      added.push_back("--kokkos-threads=" + arg.substr(std::strlen("--kokkos-num-threads=")));
      args.push_back(added.back().data());
      continue;
    }
#endif
    args.push_back(argv[i]);
  }
  if (thread_defaults_.threads > 0) {
#if KOKKOS_VERSION < 30700
    added.push_back("--kokkos-threads=" + std::to_string(thread_defaults_.threads));
#else
    added.push_back("--kokkos-num-threads=" + std::to_string(thread_defaults_.threads));
#endif
    args.push_back(added.back().data());
  }
  if (device_id >= 0 && !user_device) {
    added.push_back("--kokkos-device-id=" + std::to_string(device_id));
    args.push_back(added.back().data());
  }
  int count = int(args.size());
  args.push_back(nullptr);
  Kokkos::initialize(count, args.data());
  // What Kokkos left are the caller's own arguments, in order.
  int kept = 0;
  for (int i = 0; i < count; ++i) {
    const bool ours = std::any_of(added.begin(), added.end(), [&](const std::string& a) { return a.data() == args[i]; });
    if (!ours) argv[kept++] = args[i];
  }
  if (kept < argc) argv[kept] = nullptr;
  argc = kept;
  owns_kokkos_ = true;
}

Runtime::~Runtime() {
  if (owns_kokkos_ && Kokkos::is_initialized()) Kokkos::finalize();
#if KYPER_HAS_MPI
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_mpi_ && !finalized) MPI_Finalize();
#endif
}

std::string describe_backends() {
  std::ostringstream out;
  out << "Kokkos " << KOKKOS_VERSION / 10000 << "." << (KOKKOS_VERSION / 100) % 100 << "." << KOKKOS_VERSION % 100
      << "; execution spaces:";
#ifdef KOKKOS_ENABLE_CUDA
  out << " Cuda";
#endif
#ifdef KOKKOS_ENABLE_HIP
  out << " HIP";
#endif
#ifdef KOKKOS_ENABLE_OPENMP
  out << " OpenMP";
#endif
#ifdef KOKKOS_ENABLE_THREADS
  out << " Threads";
#endif
#ifdef KOKKOS_ENABLE_SERIAL
  out << " Serial";
#endif
  out << "; default: " << Kokkos::DefaultExecutionSpace::name();
  out << "; device architecture:";
#if defined(KOKKOS_ARCH_AMPERE80)
  out << " AMPERE80";
#elif defined(KOKKOS_ARCH_AMPERE86)
  out << " AMPERE86";
#elif defined(KOKKOS_ARCH_VOLTA70)
  out << " VOLTA70";
#elif defined(KOKKOS_ARCH_HOPPER90)
  out << " HOPPER90";
#elif defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
  out << " (unspecified)";
#else
  out << " none (host only)";
#endif
  out << "; MPI: " << (KYPER_HAS_MPI ? "on" : "off");
  return out.str();
}

}  // namespace kyper
