// The ask/tell interface every search algorithm shares. ask(n) hands out trials (an id and a
// configuration); tell() takes results that name their trial, in any order, so late or failed
// trials can never be matched to the wrong configuration. The state (observations, pending
// trials, RNG) is checkpointable, so a killed search resumes identically.
#pragma once

#include <kyper/search/configuration.hpp>
#include <kyper/search/space.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace cereal {
class BinaryOutputArchive;
}  // namespace cereal
namespace kyper {
class CheckedBinaryInputArchive;  // <kyper/binary_archive.hpp>
}  // namespace kyper

namespace kyper::search {

class ResultsTable;

struct Trial {
  std::int64_t id = 0;
  Configuration config;
};

// Seconds since the Unix epoch (wall clock), the unit of every timestamp.
double now_seconds();

// What one evaluation gave: an objective, or a failure with its reason, plus metadata. Three records
// extend it, one per stage of a trial's life, so none repeats the others' fields:
//   kyper::TrialOutcome  what a trial function returns (trial.hpp);
//   Result               an outcome told to a search: plus the trial id and when it ran;
//   Observation          a result the search keeps: plus its configuration and the scheduler's timestamps.
struct Outcome {
  std::optional<double> objective;  // absent: failed
  std::string reason;               // why it failed
  std::map<std::string, std::string> metadata;

  bool failed() const { return !objective.has_value(); }
};

struct Result : Outcome {
  std::int64_t trial_id = 0;
  double timestamp_start = std::numeric_limits<double>::quiet_NaN();
  double timestamp_end = std::numeric_limits<double>::quiet_NaN();

  static Result success(std::int64_t id, double objective) {
    Result r;
    r.trial_id = id;
    r.objective = objective;
    return r;
  }
  static Result failure(std::int64_t id, std::string reason) {
    Result r;
    r.trial_id = id;
    r.reason = std::move(reason);
    return r;
  }
};

struct Observation : Outcome {
  std::int64_t id = 0;
  Configuration config;
  double timestamp_submit = std::numeric_limits<double>::quiet_NaN();
  double timestamp_start = std::numeric_limits<double>::quiet_NaN();
  double timestamp_end = std::numeric_limits<double>::quiet_NaN();
  double timestamp_gather = std::numeric_limits<double>::quiet_NaN();
};

struct PendingTrial {
  Configuration config;
  double timestamp_submit = 0.0;
};

struct SearchOptions {
  std::uint64_t seed = 0;
  bool maximize = true;  // DeepHyper's convention; false minimises the objective
  // Trial ids are id_offset, id_offset + id_stride, ...: searches on different MPI ranks share
  // results without id clashes (rank r of P uses offset r, stride P). With id_stride > 1 a search
  // also proposes only configurations of its own share of the space (a hash of the values modulo
  // id_stride equals id_offset): ranks searching side by side do not see each other's pending
  // trials, and shared parents (a categorical flipped, a value clamped at a bound, any point of a
  // small discrete space) would otherwise make two ranks run one configuration twice.
  std::int64_t id_offset = 0;
  std::int64_t id_stride = 1;
};

class Search {
 public:
  Search(Space space, SearchOptions options);
  virtual ~Search() = default;
  Search(const Search&) = delete;
  Search& operator=(const Search&) = delete;

  // n new trials; never a configuration already observed or pending, nor (id_stride > 1) one
  // outside this search's share, unless the space (or the share) has run out of distinct ones.
  std::vector<Trial> ask(int n);
  // Results of pending trials, in any order. Throws naming a trial id that is not pending.
  void tell(const std::vector<Result>& results);
  void tell(const Result& result) { tell(std::vector<Result>{result}); }
  void tell(std::int64_t trial_id, double objective) { tell(Result::success(trial_id, objective)); }

  // Adds finished trials (from a results table of this or another search) as if told, for a
  // resume or a warm start; ids already known are rejected.
  void warm_start(const std::vector<Observation>& observations);
  // Forgets pending trials that will never report (e.g. in flight when a search was killed),
  // so their configurations may be proposed again. Returns their ids.
  std::vector<std::int64_t> abandon_pending();
  // The id ask() hands out next.
  std::int64_t next_id() const { return next_id_; }
  // Never hands out an id below `id`: a search rebuilt from its results table after a crash
  // skips the ids its previous run handed out for trials that never finished.
  void skip_ids_below(std::int64_t id);

  const Space& space() const { return space_; }
  const SearchOptions& options() const { return options_; }
  bool maximize() const { return options_.maximize; }
  const std::vector<Observation>& observations() const { return observations_; }
  const std::map<std::int64_t, PendingTrial>& pending() const { return pending_; }
  // Best successful observation (by the search's direction), if any.
  std::optional<Observation> best() const;
  virtual std::string name() const = 0;

  // Every told trial is appended to `table` (not owned; nullptr detaches).
  void attach(ResultsTable* table) { table_ = table; }

  // Binary checkpoint of the whole state. load() needs a search built with the same space
  // and options; it throws ("search checkpoint: <why>") when the checkpoint is empty, cut short,
  // not a checkpoint, of another format version, or written for another space or algorithm.
  // A load that throws leaves the search as it was. `reserved_ids`: the checkpoint's next id is
  // that many of this search's ids further on, so a search loaded from it never hands out an id
  // this one hands out before its next save (the ids in between are skipped).
  void save(std::ostream& out, std::int64_t reserved_ids = 0) const;
  void load(std::istream& in);

 protected:
  // n configurations to try next; the base class assigns ids and records them as pending.
  virtual std::vector<Configuration> propose(int n) = 0;
  // Algorithm-specific state beyond observations, pending and the RNG.
  virtual void save_state(cereal::BinaryOutputArchive&) const {}
  virtual void load_state(CheckedBinaryInputArchive&) {}

  // Objective as the search maximises it (negated when minimising).
  double internal(double objective) const { return options_.maximize ? objective : -objective; }
  // Key identifying a configuration, for duplicate filtering (the values' bytes: no
  // formatting, so checking thousands of points stays cheap).
  static std::string key(const Configuration& config);
  // Keys of every observed and pending configuration, kept up to date incrementally.
  const std::unordered_set<std::string>& known_keys() const { return known_; }
  // Whether a configuration (by key) may be proposed now: neither observed, pending nor in
  // `batch` (this ask's proposals so far), and in this search's share of the space (see
  // SearchOptions::id_stride).
  bool is_new(const std::string& key, const std::unordered_set<std::string>& batch) const;
  bool in_share(const std::string& key) const;
  // Calls `draw` until it gives a new configuration (is_new) and returns that one. A small
  // discrete space can run out: after 100 tries (times id_stride, the share being that much
  // smaller) it returns a repeat, from this search's share when one was drawn. Either way the
  // key goes into `batch`.
  Configuration draw_new(const std::function<Configuration()>& draw, std::unordered_set<std::string>& batch) const;

  Space space_;
  SearchOptions options_;
  std::mt19937_64 rng_;

 private:
  // load() without the undo: may leave the state half-replaced when it throws.
  void read_checkpoint(std::istream& in);

  std::vector<Observation> observations_;
  std::map<std::int64_t, PendingTrial> pending_;
  std::int64_t next_id_ = 0;
  ResultsTable* table_ = nullptr;
  std::unordered_set<std::string> known_;
};

}  // namespace kyper::search
