// When a search's checkpoint is written (src/orchestration/checkpoint.hpp): every id handed out
// is covered by the checkpoint on the disk (a search loaded from it never hands that id out
// again), and when trials go out fast the reserve grows, so writes stay rare.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <kyper/search/random_search.hpp>

#include "checkpoint.hpp"

using namespace kyper;
namespace fs = std::filesystem;

namespace {
search::Space one_float() {
  search::Space space;
  space.add_float("x", 0, 1);
  return space;
}
// The next id a search resumed from the checkpoint at `path` would hand out.
std::int64_t next_id_after_resume(const std::string& path) {
  search::RandomSearch resumed(one_float());
  std::ifstream in(path, std::ios::binary);
  resumed.load(in);
  return resumed.next_id();
}
std::string checkpoint_path(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("kyper_checkpointer_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return (dir / "search_state.bin").string();
}
}  // namespace

TEST(Checkpointer, EveryIdHandedOutIsCoveredAndFastHandOutsGrowTheReserve) {
  const std::string path = checkpoint_path("fast");
  search::RandomSearch s(one_float());
  scheduler_detail::Checkpointer checkpoints(path, 4, 1e9);  // no timed writes
  for (int t = 0; t < 400; ++t) {
    const search::Trial trial = s.ask(1).front();
    checkpoints.before_handing_out(s);
    ASSERT_GT(next_id_after_resume(path), trial.id) << "trial " << t << " was handed out without a checkpoint covering it";
  }
  // A reserve of 4 alone would take 100 writes; handed out this fast, the reserve reaches 64 x 4.
  EXPECT_LE(checkpoints.writes(), 12);
}

TEST(Checkpointer, SlowHandOutsKeepTheBaseReserve) {
  const std::string path = checkpoint_path("slow");
  search::RandomSearch s(one_float());
  scheduler_detail::Checkpointer checkpoints(path, 4, 1e9);
  for (int t = 0; t < 8; ++t) {
    const search::Trial trial = s.ask(1).front();
    checkpoints.before_handing_out(s);
    ASSERT_GT(next_id_after_resume(path), trial.id);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // 1.7 trials a second: 3.3 in 2 s
  }
  // One write per 4 ids (ids 0 and 5): the reserve stays at its base of 4, so a resume skips at
  // most 4 ids.
  EXPECT_EQ(checkpoints.writes(), 2);
  EXPECT_LE(next_id_after_resume(path), s.next_id() + 4);
}
