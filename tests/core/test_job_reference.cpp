// The job file reference cannot drift from the readers: every key the space and architecture
// readers accept is documented, every documented key of those sections is accepted, and the job
// reader's sections take their keys from the reference itself.
#include <algorithm>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/job_reference.hpp>
#include <kyper/nas_space.hpp>
#include <kyper/search/space.hpp>

using namespace kyper;

namespace {
std::set<std::string> documented_under(const std::string& section) {
  std::set<std::string> out;
  for (const auto& key : job_reference())
    if (key.path.rfind(section + ".", 0) == 0) out.insert(key.path.substr(section.size() + 1));
  return out;
}
}  // namespace

TEST(JobReference, EveryKeyOfTheSpaceReaderIsDocumentedAndViceVersa) {
  const auto accepted = search::Space::json_keys();
  EXPECT_EQ(std::set<std::string>(accepted.begin(), accepted.end()), documented_under("space"));
}

TEST(JobReference, EveryKeyOfTheArchitectureReaderIsDocumentedAndViceVersa) {
  const auto accepted = nas::ArchitectureSpace::json_keys();
  EXPECT_EQ(std::set<std::string>(accepted.begin(), accepted.end()), documented_under("architecture"));
}

TEST(JobReference, EveryRowIsCompleteAndUnique) {
  std::set<std::string> paths;
  for (const auto& key : job_reference()) {
    EXPECT_TRUE(paths.insert(key.path).second) << key.path << " twice";
    EXPECT_FALSE(key.type.empty() || key.default_value.empty() || key.meaning.empty()) << key.path;
  }
  EXPECT_THAT(job_section_keys(""), ::testing::IsSupersetOf({"dataset", "task", "space", "search", "budget", "output"}));
  EXPECT_THAT(job_section_keys("budget"), ::testing::UnorderedElementsAre("evaluations", "seconds", "trial_timeout"));
}
