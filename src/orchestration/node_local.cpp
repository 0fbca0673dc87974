#include <kyper/node_local.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace kyper {

namespace fs = std::filesystem;

namespace {
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::vector<std::string> count_gpus() {
  for (const char* name : {"CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"})
    if (const char* value = std::getenv(name)) return split_list(value);  // set: exactly these (maybe none)
  int count = 0;
  std::error_code ec;
  const std::regex nvidia("nvidia[0-9]+");
  for (const auto& entry : fs::directory_iterator("/dev", ec))
    if (std::regex_match(entry.path().filename().string(), nvidia)) ++count;
  if (count == 0) {
    // AMD: the kfd topology lists CPUs too (gpu_id 0); a GPU node has a non-zero gpu_id.
    for (const auto& node : fs::directory_iterator("/sys/class/kfd/kfd/topology/nodes", ec)) {
      std::ifstream in(node.path() / "gpu_id");
      long id = 0;
      if (in >> id && id != 0) ++count;
    }
  }
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(std::to_string(i));
  return out;
}
}  // namespace

int node_local_rank(int fallback) {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "PMIX_LOCAL_RANK",
                           "PALS_LOCAL_RANKID", "SLURM_LOCALID", "MV2_COMM_WORLD_LOCAL_RANK"}) {
    if (const char* value = std::getenv(name)) {
      char* end = nullptr;
      const long rank = std::strtol(value, &end, 10);
      if (end != value && *end == '\0' && rank >= 0) return int(rank);
    }
  }
  return fallback;
}

const std::vector<std::string>& node_gpus() {
  static const std::vector<std::string> gpus = count_gpus();
  return gpus;
}

}  // namespace kyper
