// Builds an MLP through Kyper compiled as a subdirectory of this project and checks its parameter
// count against the hand count, so a wrong build (or a wrong Kokkos) cannot pass.
#include <cstdio>

#include <kyper/graph.hpp>
#include <kyper/network.hpp>
#include <kyper/runtime.hpp>

int main(int argc, char** argv) {
  kyper::Runtime runtime(argc, argv);
  long count = 0;
  {
    kyper::Network<float> net(kyper::make_mlp(3, {8, 4}, 2, kyper::Activation::Relu), /*seed=*/7);
    count = net.parameter_count();
  }
  // Weights plus biases of 3->8, 8->4 and the 4->2 head.
  const long expected = (3 * 8 + 8) + (8 * 4 + 4) + (4 * 2 + 2);
  std::printf("subdir_consumer: parameter_count %ld (expected %ld)\n", count, expected);
  return count == expected ? 0 : 1;
}
