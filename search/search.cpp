#include <kyper/binary_archive.hpp>
#include <kyper/error.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search/search.hpp>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace kyper::search {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

Search::Search(Space space, SearchOptions options)
    : space_(std::move(space)), options_(options), rng_(options.seed), next_id_(options.id_offset) {
  KYPER_REQUIRE(space_.size() > 0, "a search needs a space with at least one parameter");
  KYPER_REQUIRE(options.id_stride >= 1 && options.id_offset >= 0 && options.id_offset < options.id_stride,
                "search options: need 0 <= id_offset < id_stride");
}

std::vector<std::int64_t> Search::abandon_pending() {
  std::vector<std::int64_t> ids;
  for (const auto& [id, trial] : pending_) {
    ids.push_back(id);
    known_.erase(key(trial.config));
  }
  pending_.clear();
  for (const auto& o : observations_) known_.insert(key(o.config));  // a duplicate may remain observed
  return ids;
}

void Search::skip_ids_below(std::int64_t id) {
  if (id <= next_id_) return;
  // The first id of this search's own sequence (id_offset + k * id_stride) at or above `id`.
  const std::int64_t steps = (id - options_.id_offset + options_.id_stride - 1) / options_.id_stride;
  next_id_ = options_.id_offset + steps * options_.id_stride;
}

std::vector<Trial> Search::ask(int n) {
  KYPER_REQUIRE(n >= 0, "ask: n must be >= 0, got " << n);
  std::vector<Configuration> configs = propose(n);
  KYPER_REQUIRE(static_cast<int>(configs.size()) == n,
                name() << " proposed " << configs.size() << " configurations for ask(" << n << ")");
  const double now = now_seconds();
  std::vector<Trial> trials;
  for (auto& c : configs) {
    const std::int64_t id = next_id_;
    next_id_ += options_.id_stride;
    pending_[id] = {c, now};
    known_.insert(key(c));
    trials.push_back({id, std::move(c)});
  }
  return trials;
}

void Search::tell(const std::vector<Result>& results) {
  // Check everything first so a bad batch leaves the state untouched.
  for (std::size_t i = 0; i < results.size(); ++i) {
    KYPER_REQUIRE(pending_.count(results[i].trial_id),
                  "tell: trial " << results[i].trial_id << " is not pending (unknown or already told)");
    for (std::size_t j = 0; j < i; ++j)
      KYPER_REQUIRE(results[j].trial_id != results[i].trial_id,
                    "tell: trial " << results[i].trial_id << " appears twice in one batch");
    if (results[i].objective)
      KYPER_REQUIRE(std::isfinite(*results[i].objective),
                    "tell: trial " << results[i].trial_id << " has a non-finite objective; "
                                   << "report it as a failure instead");
  }
  const double now = now_seconds();
  for (const Result& r : results) {
    auto it = pending_.find(r.trial_id);
    Observation obs;
    obs.id = r.trial_id;
    obs.config = std::move(it->second.config);
    obs.objective = r.objective;
    obs.reason = r.objective ? std::string() : (r.reason.empty() ? "failed" : r.reason);
    obs.timestamp_submit = it->second.timestamp_submit;
    obs.timestamp_start = r.timestamp_start;
    obs.timestamp_end = r.timestamp_end;
    obs.timestamp_gather = now;
    obs.metadata = r.metadata;
    pending_.erase(it);
    observations_.push_back(std::move(obs));
    if (table_) table_->append(observations_.back());
  }
}

void Search::warm_start(const std::vector<Observation>& observations) {
  for (const auto& o : observations) {
    KYPER_REQUIRE(!pending_.count(o.id), "warm start: trial " << o.id << " is pending");
    for (const auto& known : observations_)
      KYPER_REQUIRE(known.id != o.id, "warm start: trial " << o.id << " is already observed");
    space_.validate(o.config);
  }
  for (const auto& o : observations) {
    observations_.push_back(o);
    known_.insert(key(o.config));
    // Only ids of this search's own sequence move it on; other ranks' ids live in other residues.
    if (o.id >= options_.id_offset && (o.id - options_.id_offset) % options_.id_stride == 0)
      next_id_ = std::max(next_id_, o.id + options_.id_stride);
  }
}

std::optional<Observation> Search::best() const {
  std::optional<Observation> out;
  for (const auto& o : observations_)
    if (o.objective && (!out || internal(*o.objective) > internal(*out->objective))) out = o;
  return out;
}

bool Search::in_share(const std::string& key) const {
  if (options_.id_stride <= 1) return true;
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same on every rank and run
  for (const char c : key) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(options_.id_stride)) == options_.id_offset;
}

bool Search::is_new(const std::string& key, const std::unordered_set<std::string>& batch) const {
  return known_.count(key) == 0 && batch.count(key) == 0 && in_share(key);
}

Configuration Search::draw_new(const std::function<Configuration()>& draw,
                               std::unordered_set<std::string>& batch) const {
  const std::int64_t attempts = 100 * std::min<std::int64_t>(options_.id_stride, 100);
  std::optional<Configuration> repeat_in_share;
  Configuration c;
  for (std::int64_t attempt = 0; attempt < attempts; ++attempt) {
    c = draw();
    const std::string k = key(c);
    if (is_new(k, batch)) {
      batch.insert(k);
      return c;
    }
    if (!repeat_in_share && in_share(k)) repeat_in_share = c;
  }
  if (repeat_in_share) c = std::move(*repeat_in_share);
  batch.insert(key(c));
  return c;
}

std::string Search::key(const Configuration& config) {
  std::string k;
  k.reserve(config.size() * 9);
  for (const auto& v : config.values()) {
    k += static_cast<char>(v.index());
    if (const double* x = std::get_if<double>(&v)) {
      const double canonical = *x == 0.0 ? 0.0 : *x;  // -0 and +0 are the same value
      k.append(reinterpret_cast<const char*>(&canonical), sizeof(double));
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      const auto n = static_cast<std::uint32_t>(s->size());
      k.append(reinterpret_cast<const char*>(&n), sizeof(n));
      k += *s;
    }
  }
  return k;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

namespace {
constexpr const char* kMagic = "kyper-search-checkpoint-1";

template <class Archive>
void save_observation(Archive& ar, const Observation& o) {
  ar(o.id, o.config.values(), o.objective, o.reason, o.timestamp_submit, o.timestamp_start,
     o.timestamp_end, o.timestamp_gather, o.metadata);
}
}  // namespace

void Search::save(std::ostream& out, std::int64_t reserved_ids) const {
  cereal::BinaryOutputArchive ar(out);
  std::ostringstream rng_state;
  rng_state << rng_;
  const std::int64_t saved_next_id = next_id_ + std::max<std::int64_t>(reserved_ids, 0) * options_.id_stride;
  ar(std::string(kMagic), name(), space_.to_json(), options_.seed, options_.maximize, saved_next_id,
     rng_state.str());
  ar(static_cast<std::uint64_t>(observations_.size()));
  for (const auto& o : observations_) save_observation(ar, o);
  ar(static_cast<std::uint64_t>(pending_.size()));
  for (const auto& [id, p] : pending_) ar(id, p.config.values(), p.timestamp_submit);
  save_state(ar);
}

void Search::load(std::istream& in) {
  // The state is saved first and put back when reading fails half-way: a damaged checkpoint
  // must not leave a search that is part old, part new (the caller rebuilds it instead).
  std::stringstream before;
  save(before);
  try {
    read_checkpoint(in);
  } catch (...) {
    read_checkpoint(before);
    throw;
  }
}

namespace {
// The format tag, read by hand (cereal's string layout: a 64-bit length, then the bytes) so that
// a garbage file is recognised before cereal allocates whatever its first bytes say.
void read_format_tag(std::istream& in) {
  std::uint64_t length = 0;
  in.read(reinterpret_cast<char*>(&length), sizeof length);
  KYPER_REQUIRE(in.gcount() > 0, "search checkpoint: empty file");
  KYPER_REQUIRE(in, "search checkpoint: cut short in its header");
  KYPER_REQUIRE(length <= 64, "search checkpoint: not a Kyper search checkpoint");
  std::string tag(static_cast<std::size_t>(length), '\0');
  in.read(tag.data(), static_cast<std::streamsize>(length));
  KYPER_REQUIRE(in, "search checkpoint: cut short in its header");
  const std::string family = "kyper-search-checkpoint-";
  KYPER_REQUIRE(tag == kMagic || tag.rfind(family, 0) != 0, "search checkpoint: format '"
                    << tag << "' of another Kyper version (this one reads '" << kMagic << "')");
  KYPER_REQUIRE(tag == kMagic, "search checkpoint: not a Kyper search checkpoint");
}
}  // namespace

void Search::read_checkpoint(std::istream& in) {
  read_format_tag(in);
  try {
    CheckedBinaryInputArchive ar(in);
    std::string algorithm, space_json, rng_state;
    std::uint64_t seed = 0;
    bool maximize = true;
    std::int64_t next_id = 0;
    ar(algorithm, space_json, seed, maximize, next_id, rng_state);
    KYPER_REQUIRE(algorithm == name(), "search checkpoint: written by " << algorithm
                                                                        << ", loading into " << name());
    KYPER_REQUIRE(space_json == space_.to_json(),
                  "search checkpoint: written for another space: " << space_json);
    KYPER_REQUIRE(maximize == options_.maximize,
                  "search checkpoint: objective direction differs from this search's");
    KYPER_REQUIRE(next_id >= options_.id_offset && (next_id - options_.id_offset) % options_.id_stride == 0,
                  "search checkpoint: its trial ids (next " << next_id << ") are not this search's sequence "
                  << options_.id_offset << " + k * " << options_.id_stride << " (another rank or rank count)");
    const auto names = space_.names();
    auto check = [&](const Configuration& config) {
      try {
        space_.validate(config);
      } catch (const Error& e) {
        KYPER_FAIL("search checkpoint: holds a configuration outside the space (" << e.what() << ")");
      }
    };
    std::vector<Observation> observations;
    std::uint64_t count = 0;
    ar(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      Observation o;
      std::vector<Value> values;
      ar(o.id, values, o.objective, o.reason, o.timestamp_submit, o.timestamp_start,
         o.timestamp_end, o.timestamp_gather, o.metadata);
      o.config = Configuration(names, std::move(values));
      check(o.config);
      observations.push_back(std::move(o));
    }
    std::map<std::int64_t, PendingTrial> pending;
    ar(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      std::int64_t id = 0;
      std::vector<Value> values;
      PendingTrial p;
      ar(id, values, p.timestamp_submit);
      p.config = Configuration(names, std::move(values));
      check(p.config);
      pending[id] = std::move(p);
    }
    load_state(ar);
    std::mt19937_64 rng;
    std::istringstream rng_text(rng_state);
    rng_text >> rng;
    KYPER_REQUIRE(rng_text, "search checkpoint: unreadable random number generator state");
    rng_ = rng;
    options_.seed = seed;
    next_id_ = next_id;
    observations_ = std::move(observations);
    pending_ = std::move(pending);
  } catch (const Error&) {
    throw;
  } catch (const cereal::Exception& e) {
    KYPER_FAIL("search checkpoint: cut short (" << e.what() << ")");
  } catch (const std::exception& e) {
    KYPER_FAIL("search checkpoint: corrupt (" << e.what() << ")");
  }
  known_.clear();
  for (const auto& o : observations_) known_.insert(key(o.config));
  for (const auto& p : pending_) known_.insert(key(p.second.config));
}

}  // namespace kyper::search
