// GoogleTest main for tests that use Kokkos: one Kokkos runtime for the whole executable,
// floating-point traps off by default (kernels may compute discarded lanes).
#include <Kokkos_Core.hpp>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  return RUN_ALL_TESTS();
}
