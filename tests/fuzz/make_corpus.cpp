// Writes the generated seeds of the fuzz corpus (binary formats and the results table) with
// Kyper's own writers, so they stay valid when a format changes:
//   fuzz_make_corpus tests/fuzz/corpus
// The hand-written text seeds (CSV, job, space, architecture, ensemble manifest) are committed
// as they are, and so are the regression seeds of findings (search_checkpoint/cbo_bad_choice.ckpt,
// cbo_string_lr.ckpt: cbo.ckpt with a damaged initial design; space_json/tiny_log_low.json). Keep
// seeds small: the replay runs every 8-byte window of each binary one.
#include "fuzz_common.hpp"

#include <kyper/dataset.hpp>
#include <kyper/model.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/random_search.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/uq/ensemble.hpp>

#include "scheduler_wire.hpp"

#include <Kokkos_Core.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace kyper;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  std::printf("%s (%zu bytes)\n", path.string().c_str(), bytes.size());
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A search over the fixed space with three told trials (one failed) and one pending.
template <class S>
void run_a_little(S& s) {
  auto trials = s.ask(4);
  std::vector<search::Result> results;
  results.push_back(search::Result::success(trials[0].id, 0.25));
  results.push_back(search::Result::success(trials[1].id, -1.5));
  results.push_back(search::Result::failure(trials[2].id, "diverged, \"nan\" loss"));
  results[0].metadata["val_loss"] = "0.25";
  results[1].metadata["val_loss"] = "1.5";
  s.tell(results);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  Kokkos::ScopeGuard kokkos(argc, argv);
  const fs::path out = argv[1];
  const search::Space& space = fuzz::fixed_space();
  search::SearchOptions options;
  options.seed = 1;

  // Model files: a 2-4-1 MLP trained for two epochs (scalers fitted, optimizer state, a learning
  // curve), binary and JSON.
  {
    Table table;
    table.columns = {"x1", "x2", "y"};
    table.values = {0.1, 1.0, 0.5, 0.2, 0.9, 0.7, 0.3, 0.8, 0.9, 0.4, 0.7, 1.1, 0.5, 0.6, 1.3, 0.6, 0.5, 1.5};
    table.source = "seed.csv";
    const Dataset data = select(table, {}, {"y"});
    TrainConfig config;
    config.epochs = 2;
    config.batch_size = 4;
    Model model(make_mlp(2, {4}, 1, Activation::Relu), config, 1);
    model.fit(data);
    const fs::path tmp = fs::temp_directory_path();
    model.save((tmp / "kyper_seed_model.kyper").string());
    model.save((tmp / "kyper_seed_model.json").string());
    write(out / "model_file" / "mlp.kyper", slurp(tmp / "kyper_seed_model.kyper"));
    write(out / "model_file" / "mlp.json", slurp(tmp / "kyper_seed_model.json"));
    fs::remove(tmp / "kyper_seed_model.kyper");
    fs::remove(tmp / "kyper_seed_model.json");
  }

  // Search checkpoints and the results table of the same trials.
  {
    search::RandomSearch random(space, options);
    run_a_little(random);
    std::ostringstream ckpt;
    random.save(ckpt);
    write(out / "search_checkpoint" / "random.ckpt", ckpt.str());

    search::CBOOptions cbo_options;
    cbo_options.initial_points = 2;
    search::CBO cbo(space, options, cbo_options);
    run_a_little(cbo);
    std::ostringstream cbo_ckpt;
    cbo.save(cbo_ckpt);
    write(out / "search_checkpoint" / "cbo.ckpt", cbo_ckpt.str());

    const fs::path tmp = fs::temp_directory_path() / "kyper_seed_results.csv";
    search::write_results(tmp.string(), space, {"val_loss"}, random.observations());
    const std::string table = slurp(tmp);
    fs::remove(tmp);
    write(out / "results_table" / "results.csv", table);
    // A killed search's table: the last row torn mid-write.
    write(out / "results_table" / "torn.csv", table.substr(0, table.size() - 7));
  }

  // Scheduler wire messages: a configuration, a finished trial and a stopper's digest.
  {
    search::Configuration c = space.default_configuration();
    scheduler_detail::Writer values;
    scheduler_detail::write_values(values, c);
    write(out / "scheduler_wire" / "values.bin", std::string(values.bytes().begin(), values.bytes().end()));
    TrialOutcome o = TrialOutcome::success(0.75);
    o.metadata["val_loss"] = "0.75";
    o.metadata["model_path"] = "models/trial_3.kyper";
    scheduler_detail::Writer outcome;
    scheduler_detail::write_outcome(outcome, 3, o, 1700000000.5, 1700000003.25, 2.75);
    write(out / "scheduler_wire" / "outcome.bin", std::string(outcome.bytes().begin(), outcome.bytes().end()));
    search::StopDigest d;
    d.maximize = false;
    d.budgets = {1, 2, 3};
    d.values = {-0.5, -0.4, -0.35};
    scheduler_detail::Writer digest;
    scheduler_detail::write_digest(digest, d);
    write(out / "scheduler_wire" / "digest.bin", std::string(digest.bytes().begin(), digest.bytes().end()));
  }
  return 0;
}
