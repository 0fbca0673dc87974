#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kyper::fuzz {

namespace {
// The folder, removed when the process exits. Under /dev/shm when there is one: recovering a
// results table rewrites it with fsync, which costs milliseconds on a disk and nothing in memory.
struct Scratch {
  std::string path;
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::path(tmp && *tmp ? tmp : "/tmp");
    path = (base / ("kyper-fuzz-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(path);
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};
}  // namespace

std::vector<std::string>& noted() {
  static std::vector<std::string> messages;
  return messages;
}

void note(const Error& e) {
  if (noted().size() < 16) noted().push_back(e.what());
}

const std::string& scratch_dir() {
  static const Scratch scratch;
  return scratch.path;
}

std::string scratch_file(const std::string& name, const std::string& bytes) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("fuzz: cannot write " + path);  // the harness, not the reader
  return path;
}

const char* fixed_space_json() {
  return R"({"parameters": [
  {"name": "lr", "type": "float", "low": 1e-4, "high": 0.1, "log": true, "default": 0.001},
  {"name": "units", "type": "int", "low": 1, "high": 64, "default": 8},
  {"name": "act", "type": "categorical", "choices": ["relu", "tanh"], "default": "relu"},
  {"name": "alpha", "type": "float", "low": 0.0, "high": 1.0, "default": 0.5}],
 "conditions": [{"child": "alpha", "parent": "act", "values": ["tanh"]}]})";
}

const search::Space& fixed_space() {
  static const search::Space space = search::Space::from_json(fixed_space_json(), "fuzz space");
  return space;
}

const char* small_dataset_csv() {
  return "x1,x2,y\n"
         "0.1,1.0,0.5\n0.2,0.9,0.7\n0.3,0.8,0.9\n0.4,0.7,1.1\n0.5,0.6,1.3\n"
         "0.6,0.5,1.5\n0.7,0.4,1.7\n0.8,0.3,1.9\n0.9,0.2,2.1\n1.0,0.1,2.3\n";
}

const std::vector<Driver>& drivers() {
  static const std::vector<Driver> all = {
      {"csv_dataset", fuzz_csv_dataset, false},
      {"results_table", fuzz_results_table, false},
      {"job_json", fuzz_job_json, false},
      {"space_json", fuzz_space_json, false},
      {"architecture_json", fuzz_architecture_json, false},
      {"ensemble_manifest", fuzz_ensemble_manifest, false},
      {"model_file", fuzz_model_file, true},
      {"search_checkpoint", fuzz_search_checkpoint, true},
      {"scheduler_wire", fuzz_scheduler_wire, true},
  };
  return all;
}

}  // namespace kyper::fuzz
