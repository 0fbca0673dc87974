// The fuzz drivers, one per input reader (issue #21). Each feeds the bytes to its reader and lets
// only a kyper::Error through as an expected outcome: any other exception escapes (libFuzzer and
// fuzz_replay report it), and a crash, hang or sanitizer report is a finding too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kyper::fuzz {

void fuzz_csv_dataset(const std::uint8_t* data, std::size_t size);
void fuzz_results_table(const std::uint8_t* data, std::size_t size);
void fuzz_job_json(const std::uint8_t* data, std::size_t size);
void fuzz_space_json(const std::uint8_t* data, std::size_t size);
void fuzz_architecture_json(const std::uint8_t* data, std::size_t size);
void fuzz_ensemble_manifest(const std::uint8_t* data, std::size_t size);
void fuzz_model_file(const std::uint8_t* data, std::size_t size);
void fuzz_search_checkpoint(const std::uint8_t* data, std::size_t size);
void fuzz_scheduler_wire(const std::uint8_t* data, std::size_t size);

struct Driver {
  const char* name;  // also the corpus folder: corpus/<name>/
  void (*run)(const std::uint8_t*, std::size_t);
  bool binary;       // length-prefixed binary format: replay also plants huge length fields
};
const std::vector<Driver>& drivers();

}  // namespace kyper::fuzz
