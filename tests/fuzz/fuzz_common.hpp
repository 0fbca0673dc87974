// Helpers the fuzz drivers share: a scratch folder for readers that only take a path, and the one
// search space the results table, checkpoint and wire drivers read against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <kyper/error.hpp>
#include <kyper/search/space.hpp>

namespace kyper::fuzz {

// Records a reader's kyper::Error (the expected way to reject an input); fuzz_replay prints the
// ones the corpus seeds raise with KYPER_FUZZ_VERBOSE=1, to show how far each seed gets.
void note(const Error& e);
std::vector<std::string>& noted();

// The bytes as a string.
inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A folder of this process for the drivers' files (created once, kept: files are overwritten).
const std::string& scratch_dir();
// Writes `bytes` to scratch_dir()/name and returns the path.
std::string scratch_file(const std::string& name, const std::string& bytes);

// The space of the results-table, checkpoint and wire seeds: a log float, an int, a categorical and
// a float that is active only for one choice (so configurations hold inactive values too).
const char* fixed_space_json();
const search::Space& fixed_space();

// A small valid dataset (x1, x2, y) the job driver points its jobs at.
const char* small_dataset_csv();

}  // namespace kyper::fuzz
