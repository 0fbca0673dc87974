#include <kyper/runtime.hpp>

#include <sstream>

#include <Kokkos_Core.hpp>
#include <kyper/config.hpp>

namespace kyper {

Runtime::Runtime(int& argc, char**& argv, int device_id) {
  if (Kokkos::is_initialized()) return;
#if KOKKOS_VERSION >= 30700
  Kokkos::InitializationSettings settings;
  if (device_id >= 0) settings.set_device_id(device_id);
  Kokkos::initialize(settings);
  (void)argc, (void)argv;
#else
  if (device_id >= 0) {
    Kokkos::InitArguments args;
    args.device_id = device_id;
    Kokkos::initialize(args);
  } else {
    Kokkos::initialize(argc, argv);
  }
#endif
  owns_kokkos_ = true;
}

Runtime::~Runtime() {
  if (owns_kokkos_ && Kokkos::is_initialized()) Kokkos::finalize();
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
