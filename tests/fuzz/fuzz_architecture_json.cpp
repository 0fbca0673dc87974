// Architecture JSON (NAS): ArchitectureSpace::from_json, its search space, and the graph of the
// default architecture (which must plan).
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/graph.hpp>
#include <kyper/nas_space.hpp>

namespace kyper::fuzz {

void fuzz_architecture_json(const std::uint8_t* data, std::size_t size) {
  try {
    nas::ArchitectureSpace arch = nas::ArchitectureSpace::from_json(text(data, size), "fuzz architecture");
    if (arch.recurrent())  // recurrent layers need a sequence: 4 steps of 2 features, forecast 4 x 1
      arch.set_sequence_io(4, 2, 4, 1);
    else if (arch.inputs() == 0 || arch.outputs() == 0)
      arch.set_io(arch.inputs() ? arch.inputs() : 3, arch.outputs() ? arch.outputs() : 1);
    const search::Space space = arch.search_space();
    const GraphSpec graph = arch.build(arch.architecture_of(space.default_configuration()));
    (void)plan_graph(graph);
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
