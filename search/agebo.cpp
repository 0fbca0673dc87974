#include <kyper/search/agebo.hpp>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_set>

#include <kyper/error.hpp>
#include <kyper/search/sampler.hpp>

namespace kyper::search {

namespace {
bool contains(const std::set<std::string>& names, const std::string& name) { return names.count(name) > 0; }
}  // namespace

AgEBO::AgEBO(Space space, std::vector<std::string> evolved, SearchOptions options, EvolutionOptions evolution,
             CBOOptions bo)
    : Search(std::move(space), options), evolution_(evolution), bo_(std::move(bo)) {
  KYPER_REQUIRE(evolution_.population_size >= 1, "AgEBO: population_size must be >= 1, got " << evolution_.population_size);
  KYPER_REQUIRE(evolution_.sample_size >= 1 && evolution_.sample_size <= evolution_.population_size,
                "AgEBO: sample_size must be in [1, population_size], got " << evolution_.sample_size);
  KYPER_REQUIRE(!evolved.empty(), "AgEBO needs at least one evolved parameter");
  // AgEBO tells its BO the running trials as the worst result (below); the points of one ask
  // follow the same constant liar unless the caller chose another strategy.
  if (parse_liar(bo_.liar) == Liar::Auto) bo_.liar = "cl_worst";
  const std::set<std::string> evolved_names(evolved.begin(), evolved.end());
  for (const auto& name : evolved) space_.index(name);  // throws naming an unknown parameter
  for (const auto& p : space_.parameters()) (contains(evolved_names, p.name) ? evolved_space_ : tuned_space_).add(p);
  for (const auto& c : space_.conditions()) {
    const bool child = contains(evolved_names, c.child), parent = contains(evolved_names, c.parent);
    KYPER_REQUIRE(child == parent, "AgEBO: condition of '" << c.child << "' on '" << c.parent
                                                           << "' links an evolved and a tuned parameter");
    (child ? evolved_space_ : tuned_space_).add_condition(c.child, c.parent, c.values);
  }
  for (const auto& f : space_.forbidden()) {
    std::set<bool> groups;
    for (const auto& term : f.terms) groups.insert(contains(evolved_names, term.first));
    KYPER_REQUIRE(groups.size() == 1, "AgEBO: a forbidden clause on '" << f.terms.front().first
                                                                      << "' mixes evolved and tuned parameters");
    (*groups.begin() ? evolved_space_ : tuned_space_).add_forbidden(f);
  }
}

Configuration AgEBO::project(const Space& part, const Configuration& config) {
  std::map<std::string, Value> values;
  for (const auto& p : part.parameters())
    if (config.active(p.name)) values[p.name] = config[p.name];
  return part.make(values);
}

std::vector<Configuration> AgEBO::propose_tuned(int n) {
  if (tuned_space_.size() == 0) return std::vector<Configuration>(size_t(n), tuned_space_.default_configuration());
  // A fresh CBO over the hyperparameters, told every result (and seeded from this search's RNG,
  // so a resumed search proposes exactly what the uninterrupted one would).
  SearchOptions options;
  options.seed = rng_();
  options.maximize = maximize();
  CBO bo(tuned_space_, options, bo_);
  std::vector<Observation> told;
  std::optional<double> worst;
  for (const auto& o : observations()) {
    Observation p = o;
    p.config = project(tuned_space_, o.config);
    told.push_back(std::move(p));
    if (o.objective && (!worst || internal(*o.objective) < internal(*worst))) worst = o.objective;
  }
  // Trials still running are told as the worst result so far (a constant liar, AgEBO's default):
  // workers asking one after another get hyperparameters away from those already being tried.
  if (worst)
    for (const auto& [id, trial] : pending()) {
      Observation lie;
      lie.id = id, lie.config = project(tuned_space_, trial.config), lie.objective = worst;
      told.push_back(std::move(lie));
    }
  bo.warm_start(told);
  std::vector<Configuration> out;
  for (const auto& trial : bo.ask(n)) out.push_back(trial.config);
  return out;
}

std::vector<Configuration> AgEBO::propose(int n) {
  const auto& obs = observations();
  const Population population = population_of(obs, evolution_.population_size);
  const std::vector<Configuration> tuned = propose_tuned(n);

  std::unordered_set<std::string> batch;  // this ask's proposals; known_keys() holds the rest
  std::vector<Configuration> out;
  for (int i = 0; i < n; ++i)
    out.push_back(draw_new(
        [&] {
          const Observation* parent =
              population.evolving ? tournament(obs, population, evolution_.sample_size, maximize(), rng_) : nullptr;
          const Configuration architecture = parent ? mutate(evolved_space_, project(evolved_space_, parent->config), rng_)
                                                    : sample(evolved_space_, rng_);
          std::map<std::string, Value> values;
          for (const Configuration* part : {static_cast<const Configuration*>(&architecture), &tuned[size_t(i)]})
            for (size_t j = 0; j < part->size(); ++j)
              if (is_active(part->at(j))) values[part->names()[j]] = part->at(j);
          return space_.make(values);
        },
        batch));
  return out;
}

}  // namespace kyper::search
