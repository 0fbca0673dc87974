// Every key a search job file accepts, with its type, default and meaning: the one table the job
// reader takes its allowed keys from, that `kyper search --keys` prints and the README's reference
// copies (a test checks the README against it, and that every key the space and architecture
// readers accept is in it), so the documentation cannot drift from the code.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace kyper {

struct JobKey {
  std::string path;           // "dataset.path", "space.parameters[].low"
  std::string type;           // "string", "number", "integer", "boolean", "string or [string]", ...
  std::string default_value;  // "required", or the value used when the key is absent
  std::string meaning;
};

const std::vector<JobKey>& job_reference();

// The keys directly under `section` ("" for the top level, "dataset", "training", ...).
std::set<std::string> job_section_keys(const std::string& section);

// The table as Markdown (the README's "Job file reference").
std::string job_reference_markdown();

}  // namespace kyper
