// libFuzzer entry for one driver (Kyper_ENABLE_LIBFUZZER=ON, clang): compiled with
// -DKYPER_LIBFUZZER -DKYPER_FUZZ_TARGET=fuzz_<reader>. Kokkos is initialised once (model files
// build networks). Run e.g.: fuzz_model_file -max_len=65536 tests/fuzz/corpus/model_file
#include "fuzz_drivers.hpp"

#include <Kokkos_Core.hpp>

#include <cstdlib>

#ifndef KYPER_LIBFUZZER
#error "libfuzzer_main.cpp is only built for libFuzzer (KYPER_LIBFUZZER)"
#endif

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  Kokkos::initialize(*argc, *argv);
  std::atexit([] { Kokkos::finalize(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kyper::fuzz::KYPER_FUZZ_TARGET(data, size);
  return 0;
}
