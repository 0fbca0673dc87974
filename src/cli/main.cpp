// The kyper command: search (the main job), predict, --version.
#include <algorithm>
#include <cstdio>
#include <map>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <kyper/config.hpp>
#include <kyper/csv.hpp>
#include <kyper/model.hpp>
#include <kyper/runtime.hpp>
#include <kyper/search_job.hpp>

namespace fs = std::filesystem;

namespace {

const char* kUsage =
    "usage:\n"
    "  kyper search --config search.json [--resume] [--output DIR]   (also under mpiexec -n N)\n"
    "  kyper predict --model best.kyper --data X.csv [--output predictions.csv]\n"
    "  kyper --version\n";

// --key value options after the subcommand; unknown options are errors naming them.
std::map<std::string, std::string> parse_options(int argc, char** argv, const std::vector<std::string>& valued,
                                                 const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
      out[arg] = "1";
    } else if (std::find(valued.begin(), valued.end(), arg) != valued.end()) {
      KYPER_REQUIRE(i + 1 < argc, "option " << arg << " needs a value");
      out[arg] = argv[++i];
    } else {
      KYPER_FAIL("unknown option '" << arg << "'\n" << kUsage);
    }
  }
  return out;
}


void write_summary(const kyper::SearchJob& job, const kyper::SearchSummary& summary) {
  const fs::path out = job.scheduler.output_dir;
  std::ofstream s(out / "summary.json");
  s << "{\n  \"config\": \"" << job.config_path << "\",\n  \"algorithm\": \"" << job.algorithm << "\",\n"
    << "  \"ranks\": " << summary.ranks << ",\n  \"finished\": " << summary.finished << ",\n  \"failed\": "
    << summary.failed << ",\n  \"resumed\": " << summary.resumed << ",\n  \"seconds\": " << summary.seconds
    << ",\n  \"utilisation\": " << summary.utilisation;
  if (summary.best) {
    s << ",\n  \"best\": {\"trial\": " << summary.best->id << ", \"objective\": " << *summary.best->objective
      << ", \"configuration\": \"" << summary.best->config.to_string() << "\"}";
  }
  s << "\n}\n";
}

int search_command(int argc, char** argv) {
  auto options = parse_options(argc, argv, {"--config", "--output"}, {"--resume"});
  KYPER_REQUIRE(options.count("--config"), "kyper search needs --config FILE\n" << kUsage);
  kyper::SearchJob job = kyper::load_search_job(options["--config"]);
  if (options.count("--output")) job.scheduler.output_dir = options["--output"];
  job.scheduler.resume = options.count("--resume") > 0;
  int rank = 0, size = 1;
#if KYPER_HAS_MPI
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
#endif
  auto search = kyper::make_search(job, rank, size);
  auto trial = kyper::make_training_trial(job.problem);
  if (rank == 0)
    std::printf("kyper search: %s, %s on %zu training / %zu validation rows, %d rank(s), output %s\n",
                job.config_path.c_str(), job.algorithm.c_str(), job.problem->train.rows(),
                job.problem->validation.rows(), size, job.scheduler.output_dir.c_str());
#if KYPER_HAS_MPI
  kyper::SearchSummary summary = kyper::run_search(*search, trial, job.scheduler, MPI_COMM_WORLD);
#else
  kyper::SearchSummary summary = kyper::run_search(*search, trial, job.scheduler);
#endif
  if (rank != 0) return 0;
  write_summary(job, summary);
  std::printf("done: %ld trials (%ld failed, %ld from a previous run) in %.1f s, utilisation %.1f%%\n",
              summary.finished, summary.failed, summary.resumed, summary.seconds, 100 * summary.utilisation);
  if (summary.best) {
    std::printf("best: trial %ld objective %.6g  %s\n", long(summary.best->id), *summary.best->objective,
                summary.best->config.to_string().c_str());
    auto path = summary.best->metadata.find("model_path");
    if (path != summary.best->metadata.end() && fs::exists(path->second)) {
      const fs::path best = fs::path(job.scheduler.output_dir) / "best.kyper";
      fs::copy_file(path->second, best, fs::copy_options::overwrite_existing);
      std::printf("best model: %s\n", best.string().c_str());
    }
  }
  return 0;
}

int predict_command(int argc, char** argv) {
  auto options = parse_options(argc, argv, {"--model", "--data", "--output"}, {});
  KYPER_REQUIRE(options.count("--model") && options.count("--data"),
                "kyper predict needs --model FILE and --data FILE\n" << kUsage);
  kyper::Model model = kyper::Model::load(options["--model"]);
  kyper::Dataset data = kyper::select(kyper::read_csv(options["--data"]), model.feature_names(), {});
  kyper::Predictions p = model.predict(data);
  const std::string out = options.count("--output") ? options["--output"] : "predictions.csv";
  kyper::write_csv(out, p.columns, p.values);
  std::printf("wrote %ld predictions (%s) to %s\n", p.rows, [&] {
    std::string c;
    for (const auto& name : p.columns) c += (c.empty() ? "" : ", ") + name;
    return c;
  }().c_str(), out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc >= 2 ? argv[1] : "";
  if (command == "--version" || command == "version") {
    std::cout << "kyper " << KYPER_VERSION_STRING << "\n" << kyper::describe_backends() << "\n";
    return 0;
  }
  if (command != "search" && command != "predict") {
    std::cerr << kUsage;
    return 2;
  }
  kyper::Runtime runtime(argc, argv, -1, command == "search");
  try {
    return command == "search" ? search_command(argc, argv) : predict_command(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kyper %s: error: %s\n", command.c_str(), e.what());
#if KYPER_HAS_MPI
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);  // the other ranks would wait forever
#endif
    return 1;
  }
}
