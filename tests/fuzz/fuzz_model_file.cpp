// Model file: Model::load of the binary form (.kyper) or, for input starting with '{', the JSON form
// (.json); a loaded model then predicts one row (its graph, weights and scalers must agree).
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/model.hpp>

#include <vector>

namespace kyper::fuzz {

void fuzz_model_file(const std::uint8_t* data, std::size_t size) {
  const bool json = size > 0 && data[0] == '{';
  try {
    Model model = Model::load(scratch_file(json ? "model.json" : "model.kyper", text(data, size)));
    // One row through it, unless the (valid) graph is too wide to run here cheaply.
    long width = 0;
    for (const auto& node : model.network().plan().nodes) width += node.width;
    if (width * model.config().batch_size > (1L << 26)) return;
    const std::vector<float> row(std::size_t(model.network().input_width()), 0.5f);
    (void)model.predict(row.data(), 1);
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
