// The rank-per-trial scheduler. Centralized: rank 0 runs the search (ask/tell) and hands one
// configuration at a time to each worker rank with non-blocking MPI; a worker that finishes gets
// new work at once. Decentralized: every rank runs its own search on its share of the budget and
// sends each result to all other ranks, so no rank is a bottleneck. With one rank (or no MPI) trials
// run in-process. Results go to results.csv as each trial finishes (a whole line, synced to the
// disk), and the search state is checkpointed with Cereal, so a killed search resumes without
// redoing finished trials; a damaged checkpoint or a torn last row is rebuilt from results.csv with
// a warning. A search holds its output folder (<output>/.kyper.lock) until it returns: a second
// search on a held folder is refused with an error naming the holder (host, pid).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <kyper/config.hpp>
#include <kyper/search/search.hpp>
#include <kyper/search/stopper.hpp>
#include <kyper/trial.hpp>

#if KYPER_HAS_MPI
#include <mpi.h>
#endif

namespace kyper {

struct SchedulerOptions {
  long max_evaluations = 0;   // total finished trials (done + failed); 0: no limit (then max_seconds)
  double max_seconds = 0;     // wall-time budget for dispatching new trials; 0: none
  double trial_timeout = 0;   // per trial; 0: none
  std::string output_dir = "kyper-output";
  bool resume = false;        // continue from output_dir/results.csv (and the checkpoint, when usable)
  bool decentralized = false;
  bool verbose = true;        // a progress line per finished trial (rank 0 / each rank)
  std::vector<std::string> metadata_keys;  // declared results.csv columns (m:<key>)
  // Multi-fidelity: trials report progress (TrialContext::report) and this stopper ends hopeless
  // ones early; kind "none" (the default) trains every trial to its end. With a stopper the
  // table gets the columns m:budget (last budget reported) and m:stopped_early, and every report
  // is appended to progress<suffix>.csv, from which a resumed search rebuilds the stopper.
  search::StopperOptions stopper;
};

struct SearchSummary {
  long finished = 0;  // in this run and before it (resume)
  long failed = 0;
  long resumed = 0;   // finished trials read back from a previous run
  std::optional<search::Observation> best;
  double seconds = 0;
  double utilisation = 0;  // busy time of the ranks that run trials / their wall time
  int ranks = 1;
};

// In-process: runs trials one after another on this process.
SearchSummary run_search(search::Search& search, const TrialFunction& trial, const SchedulerOptions& options);

#if KYPER_HAS_MPI
// Every rank of `comm` calls this with a search built from the same space and options. The
// summary is complete on rank 0 (centralized) or on every rank (decentralized).
SearchSummary run_search(search::Search& search, const TrialFunction& trial, const SchedulerOptions& options,
                         MPI_Comm comm);
#endif

// The search's seed for `rank` in decentralized mode (distinct streams per rank).
inline std::uint64_t rank_seed(std::uint64_t seed, int rank) { return seed + 0x9E3779B97F4A7C15ULL * std::uint64_t(rank); }

}  // namespace kyper
