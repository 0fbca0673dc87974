// The default network (float32 on the default execution space) is compiled once here.
#include <kyper/network.hpp>
#include <kyper/trainer.hpp>

namespace kyper {
template class Network<float, Kokkos::DefaultExecutionSpace>;

const char* to_string(TrainStatus status) {
  switch (status) {
    case TrainStatus::Completed: return "completed";
    case TrainStatus::EarlyStopped: return "early_stopped";
    case TrainStatus::Diverged: return "diverged";
    case TrainStatus::Stopped: return "stopped";
  }
  return "?";
}
}  // namespace kyper
