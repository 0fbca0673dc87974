// Search benchmark (not a test). Prints JSON lines:
//   regret       best-found regret (best f - f_min) at each checkpoint (50, 100, 200, 400, 800
//                evaluations up to --budget, and the budget itself), per seed, of CBO
//                (its defaults unless flags override them) and random search, one ask/tell at a
//                time (the sequential setting TPE runs in);
//   concurrency  the same with W simulated asynchronous workers (--workers 1,8,64): trial durations
//                are drawn at random (exponential, mean 1), a worker that finishes is told and
//                asked again at once, and the regret is taken at each checkpoint count of
//                *finished* evaluations, with the simulated wall time then (in mean durations);
//                pending trials are handled by the search's own liar / qUCB;
//   latency      CBO's ask (refit included) after n observations in 10-D (--latency-sizes).
// benchmarks/search/run.sh puts these next to Optuna's TPE and prints the tables.
//
//   bench_search FUNCTIONS.json [--modes regret,concurrency,latency] [--seeds 10] [--budget 200]
//                [--only NAME[,NAME]] [--extra] [--workers 1,8,64] [--latency-sizes 100,1000,5000]
//                [--label NAME] [--no-random] [--surrogate auto|ET|RF|GP] [--acquisition UCB]
//                [--kappa 1.96] [--kappa-decay 1] [--transform auto|none|log|rank]
//                [--liar auto] [--pending-kappa 1] [--initial-points 10] [--gp-max N] [--gp-kernel mixed|cube]
//                [--gp-fit-rows 128] [--gp-iterations 40] [--gp-refit-growth 1.1] [--gp-lie-noise 0.1]
//                [--describe]
//
// --extra adds three synthetic problems that are not continuous (for choosing the defaults on
// such spaces): mixed6 (Hartmann-6 with two integer and one categorical parameter), cat6 (Levy-6
// with every parameter categorical, levels in shuffled order) and cond12 (a categorical choosing
// one of three sub-problems; most parameters are inactive at any point).
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/random_search.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <time.h>

using namespace kyper::search;
namespace rj = kyper::json::rj;

namespace {

struct Problem {
  std::string name;
  Space space;
  double f_min = 0.0;
  std::function<double(const Configuration&)> f;
};

double branin(const std::vector<double>& x) {
  const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
  return std::pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) + 10 * (1 - t) * std::cos(x[0]) + 10;
}
double ackley(const std::vector<double>& x) {
  const double d = static_cast<double>(x.size());
  double s2 = 0, sc = 0;
  for (double v : x) {
    s2 += v * v;
    sc += std::cos(2 * M_PI * v);
  }
  return -20 * std::exp(-0.2 * std::sqrt(s2 / d)) - std::exp(sc / d) + 20 + M_E;
}
double levy(const std::vector<double>& x) {
  const std::size_t d = x.size();
  auto w = [&](std::size_t i) { return 1 + (x[i] - 1) / 4; };
  double f = std::pow(std::sin(M_PI * w(0)), 2);
  for (std::size_t i = 0; i + 1 < d; ++i)
    f += std::pow(w(i) - 1, 2) * (1 + 10 * std::pow(std::sin(M_PI * w(i) + 1), 2));
  f += std::pow(w(d - 1) - 1, 2) * (1 + std::pow(std::sin(2 * M_PI * w(d - 1)), 2));
  return f;
}
double rosenbrock(const std::vector<double>& x) {
  double f = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    f += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(x[i] - 1, 2);
  return f;
}

std::vector<double> numbers(const rj::Value& v) {
  std::vector<double> out;
  for (const auto& x : v.GetArray()) out.push_back(x.GetDouble());
  return out;
}

std::vector<double> point(const Configuration& c) {
  std::vector<double> x;
  for (const auto& v : c.values()) x.push_back(std::get<double>(v));
  return x;
}

using Vectorf = std::function<double(const std::vector<double>&)>;

Vectorf hartmann(const rj::Value& c) {
  const std::vector<double> alpha = numbers(c["alpha"]);
  std::vector<std::vector<double>> A, P;
  for (const auto& row : c["A"].GetArray()) A.push_back(numbers(row));
  for (const auto& row : c["P_times_1e4"].GetArray()) P.push_back(numbers(row));
  return [alpha, A, P](const std::vector<double>& x) {
    double f = 0;
    for (std::size_t i = 0; i < alpha.size(); ++i) {
      double s = 0;
      for (std::size_t j = 0; j < x.size(); ++j) s += A[i][j] * std::pow(x[j] - P[i][j] * 1e-4, 2);
      f -= alpha[i] * std::exp(-s);
    }
    return f;
  };
}

// Non-continuous problems built from the public functions (see the header comment).
std::vector<Problem> extra_problems(const Vectorf& hartmann6) {
  std::vector<Problem> out;
  {
    // Hartmann-6: x1..x3 continuous, x4 and x5 integers 0..10 (x/10), x6 categorical over 8
    // values in shuffled order. The optimum of the grid is taken as f_min (computed below).
    Problem p;
    p.name = "mixed6";
    for (int j = 1; j <= 3; ++j) p.space.add_float("x" + std::to_string(j), 0, 1);
    p.space.add_int("x4", 0, 10).add_int("x5", 0, 10);
    const std::vector<double> levels = {0.875, 0.125, 0.625, 0.375, 0.0, 0.75, 0.25, 0.5};
    std::vector<Value> names;
    for (std::size_t i = 0; i < levels.size(); ++i) names.push_back("c" + std::to_string(i));
    p.space.add_categorical("x6", names);
    auto to_x = [levels](const Configuration& c) {
      std::vector<double> x = {c.number("x1"), c.number("x2"), c.number("x3"), c.number("x4") / 10,
                               c.number("x5") / 10};
      x.push_back(levels[static_cast<std::size_t>(std::stoi(c.text("x6").substr(1)))]);
      return x;
    };
    p.f = [hartmann6, to_x](const Configuration& c) { return hartmann6(to_x(c)); };
    // f_min over the grid of the discrete parameters, the continuous ones optimised by a dense
    // local search from the continuous argmin (close enough for a regret floor).
    double fmin = INFINITY;
    const std::vector<double> x_star = {0.20168950838717978, 0.15001069141727313, 0.47687397306061197};
    for (int a = 0; a <= 10; ++a)
      for (int b = 0; b <= 10; ++b)
        for (double l : levels) {
          std::vector<double> x = {x_star[0], x_star[1], x_star[2], a / 10.0, b / 10.0, l};
          double fx = hartmann6(x);
          for (double step = 0.05; step > 1e-7; step *= 0.5)
            for (bool improved = true; improved;) {
              improved = false;
              for (int j = 0; j < 3; ++j)
                for (double s : {-step, step}) {
                  std::vector<double> y = x;
                  y[static_cast<std::size_t>(j)] = std::min(1.0, std::max(0.0, y[static_cast<std::size_t>(j)] + s));
                  const double fy = hartmann6(y);
                  if (fy < fx) fx = fy, x = y, improved = true;
                }
            }
          fmin = std::min(fmin, fx);
        }
    p.f_min = fmin;
    out.push_back(std::move(p));
  }
  {
    // Levy-6 on a 9-level grid per coordinate, every parameter categorical (levels shuffled so
    // their order carries no information). Minimum 0 at x = 1 (a grid point).
    Problem p;
    p.name = "cat6";
    const std::vector<double> grid = {-2.0, 3.0, 1.0, -4.0, 5.0, 0.0, -1.0, 4.0, 2.0};
    std::vector<Value> names;
    for (std::size_t i = 0; i < grid.size(); ++i) names.push_back("l" + std::to_string(i));
    for (int j = 1; j <= 6; ++j) p.space.add_categorical("x" + std::to_string(j), names);
    p.f = [grid](const Configuration& c) {
      std::vector<double> x;
      for (const auto& v : c.values()) x.push_back(grid[static_cast<std::size_t>(std::stoi(std::get<std::string>(v).substr(1)))]);
      return levy(x);
    };
    p.f_min = 0.0;
    out.push_back(std::move(p));
  }
  {
    // A categorical `branch` picks one sub-problem; the other branches' parameters are
    // inactive: a: Branin (2 params), b: 1 + Levy-4 on [-10, 10] (4), c: 0.5 + Hartmann-6 + 3.32
    // (6). 13 parameters, at most 7 active. Minimum 0.3979 (branch a).
    Problem p;
    p.name = "cond12";
    p.space.add_categorical("branch", {std::string("a"), std::string("b"), std::string("c")});
    p.space.add_float("a1", -5, 10).add_float("a2", 0, 15);
    for (int j = 1; j <= 4; ++j) p.space.add_float("b" + std::to_string(j), -10, 10);
    for (int j = 1; j <= 6; ++j) p.space.add_float("c" + std::to_string(j), 0, 1);
    p.space.add_condition("a1", "branch", {std::string("a")}).add_condition("a2", "branch", {std::string("a")});
    for (int j = 1; j <= 4; ++j) p.space.add_condition("b" + std::to_string(j), "branch", {std::string("b")});
    for (int j = 1; j <= 6; ++j) p.space.add_condition("c" + std::to_string(j), "branch", {std::string("c")});
    p.f = [hartmann6](const Configuration& c) {
      const std::string b = c.text("branch");
      if (b == "a") return branin({c.number("a1"), c.number("a2")});
      if (b == "b") return 1 + levy({c.number("b1"), c.number("b2"), c.number("b3"), c.number("b4")});
      std::vector<double> x;
      for (int j = 1; j <= 6; ++j) x.push_back(c.number("c" + std::to_string(j)));
      return 0.5 + hartmann6(x) + 3.322368011415515;
    };
    p.f_min = 0.3978873577297384;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Problem> load_problems(const std::string& path, bool extra) {
  std::ifstream in(path);
  KYPER_REQUIRE(in, "cannot open " << path);
  std::stringstream text;
  text << in.rdbuf();
  rj::Document doc;
  doc.Parse(text.str().c_str());
  KYPER_REQUIRE(!doc.HasParseError() && doc.HasMember("problems"), path << ": not a functions file");
  std::vector<Problem> problems;
  Vectorf hartmann6;
  for (const auto& p : doc["problems"].GetArray()) {
    Problem prob;
    prob.name = p["name"].GetString();
    prob.f_min = p["f_min"].GetDouble();
    for (const auto& param : p["params"].GetArray())
      prob.space.add_float(param["name"].GetString(), param["low"].GetDouble(), param["high"].GetDouble());
    Vectorf f;
    if (prob.name.rfind("branin", 0) == 0) {
      f = branin;
    } else if (prob.name.rfind("hartmann", 0) == 0) {
      f = hartmann(p["constants"]);
      if (p["params"].Size() == 6) hartmann6 = f;
    } else if (prob.name.rfind("ackley", 0) == 0) {
      f = ackley;
    } else if (prob.name.rfind("levy", 0) == 0) {
      f = levy;
    } else if (prob.name.rfind("rosenbrock", 0) == 0) {
      f = rosenbrock;
    } else {
      std::cerr << "skipping unknown function " << prob.name << "\n";
      continue;
    }
    prob.f = [f](const Configuration& c) { return f(point(c)); };
    problems.push_back(std::move(prob));
  }
  if (extra) {
    KYPER_REQUIRE(hartmann6, "--extra needs the hartmann6 constants from the functions file");
    for (auto& p : extra_problems(hartmann6)) problems.push_back(std::move(p));
  }
  return problems;
}

double log10_regret(double regret) { return std::log10(std::max(regret, 1e-12)); }

// Best-so-far log10 regret after each checkpoint count of evaluations, one ask/tell at a time.
std::vector<double> run_sequential(Search& search, const Problem& p, const std::vector<int>& checkpoints) {
  std::vector<double> out;
  double best = INFINITY;
  for (int n = 1; n <= checkpoints.back(); ++n) {
    const Trial t = search.ask(1)[0];
    const double y = p.f(t.config);
    best = std::min(best, y);
    search.tell(Result::success(t.id, y));
    if (std::find(checkpoints.begin(), checkpoints.end(), n) != checkpoints.end())
      out.push_back(log10_regret(best - p.f_min));
  }
  return out;
}

// The same with `workers` simulated asynchronous workers: every worker starts at once; when
// one finishes (durations ~ Exponential(1), drawn from `seed`) its result is told and, while
// the budget of evaluations is not handed out, it is asked for a new trial. The regret is read
// after each checkpoint count of *finished* evaluations, and `times` gets the simulated wall time
// then (in mean trial durations).
std::vector<double> run_concurrent(Search& search, const Problem& p, const std::vector<int>& checkpoints,
                                   int workers, std::uint64_t seed, std::vector<double>& times) {
  std::mt19937_64 rng(seed * 7919 + 17);
  std::exponential_distribution<double> duration(1.0);
  struct Running {
    double end;
    std::int64_t id;
    double y;
    bool operator>(const Running& o) const { return end > o.end || (end == o.end && id > o.id); }
  };
  std::priority_queue<Running, std::vector<Running>, std::greater<Running>> running;
  const int budget = checkpoints.back();
  int issued = 0, finished = 0;
  auto start = [&](double now, int n) {
    n = std::min(n, budget - issued);
    if (n <= 0) return;
    for (const Trial& t : search.ask(n)) running.push({now + duration(rng), t.id, p.f(t.config)});
    issued += n;
  };
  start(0.0, workers);
  std::vector<double> out;
  double best = INFINITY;
  while (!running.empty()) {
    const Running r = running.top();
    running.pop();
    search.tell(Result::success(r.id, r.y));
    best = std::min(best, r.y);
    ++finished;
    if (std::find(checkpoints.begin(), checkpoints.end(), finished) != checkpoints.end()) {
      out.push_back(log10_regret(best - p.f_min));
      times.push_back(r.end);
    }
    start(r.end, 1);
  }
  return out;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// Ask latency after `observations` random observations of Ackley in 10-D: 21 asks (each told
// before the next), median and maximum wall time and the median of the thread's CPU time (which
// a machine shared with other jobs inflates less).
void latency(int observations, const CBOOptions& options, const std::string& label) {
  Space s;
  for (int j = 0; j < 10; ++j) s.add_float("x" + std::to_string(j), 0, 1);
  CBO cbo(s, {1, false}, options);
  RandomSearch filler(s, {2, false});
  std::vector<Observation> warm;
  for (const auto& t : filler.ask(observations)) {
    Observation o;
    o.id = t.id;
    o.config = t.config;
    o.objective = ackley(point(t.config));
    warm.push_back(o);
  }
  cbo.warm_start(warm);
  std::vector<double> ms, cpu_ms;
  for (int i = 0; i < 21; ++i) {
    const double cpu_start = thread_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    const Trial t = cbo.ask(1)[0];
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    cpu_ms.push_back(thread_cpu_ms() - cpu_start);
    cbo.tell(Result::success(t.id, ackley(point(t.config))));
  }
  std::printf("{\"kind\": \"latency\", \"method\": \"%s\", \"surrogate\": \"%s\", \"observations\": %d, "
              "\"ms\": %.3f, \"p90_ms\": %.3f, \"max_ms\": %.3f, \"cpu_ms\": %.3f, \"describe\": \"%s\"}\n",
              label.c_str(), cbo.active_surrogate().c_str(), observations, quantile(ms, 0.5), quantile(ms, 0.9),
              quantile(ms, 1.0), quantile(cpu_ms, 0.5), describe_defaults(options, s).c_str());
  std::fflush(stdout);
}

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

bool listed(const std::string& list, const std::string& name) {
  if (list.empty()) return true;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (item == name) return true;
  return false;
}

void print_row(const char* kind, const std::string& method, const Problem& p, int workers, int seeds,
               double seconds, const std::vector<int>& checkpoints,
               const std::vector<std::vector<double>>& runs, const std::string& describe,
               const std::vector<std::vector<double>>& times = {}) {
  std::printf("{\"kind\": \"%s\", \"method\": \"%s\", \"function\": \"%s\", \"workers\": %d, \"seeds\": %d, "
              "\"seconds\": %.2f, \"describe\": \"%s\", \"log10_regret\": {",
              kind, method.c_str(), p.name.c_str(), workers, seeds, seconds, describe.c_str());
  for (std::size_t k = 0; k < checkpoints.size(); ++k) {
    std::printf("%s\"%d\": [", k ? ", " : "", checkpoints[k]);
    for (std::size_t s = 0; s < runs.size(); ++s) std::printf("%s%.5f", s ? ", " : "", runs[s][k]);
    std::printf("]");
  }
  std::printf("}");
  // Mean simulated wall time at each checkpoint (concurrency only).
  if (!times.empty()) {
    std::printf(", \"wall_time\": {");
    for (std::size_t k = 0; k < checkpoints.size(); ++k) {
      double sum = 0;
      for (const auto& t : times) sum += t[k];
      std::printf("%s\"%d\": %.3f", k ? ", " : "", checkpoints[k], sum / static_cast<double>(times.size()));
    }
    std::printf("}");
  }
  std::printf("}\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_search FUNCTIONS.json [--modes regret,concurrency,latency] [--seeds N] [--budget B] ...\n";
    return 2;
  }
  int seeds = 10, budget = 200;
  CBOOptions cbo;  // the defaults, unless flags override them
  std::string only, modes = "regret,latency", label = "kyper_cbo";
  std::vector<int> workers = {1, 8, 64}, sizes = {100, 1000, 5000};
  bool extra = false, with_random = true, describe_only = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const bool more = i + 1 < argc;
    if (a == "--seeds" && more) seeds = std::stoi(argv[++i]);
    else if (a == "--budget" && more) budget = std::stoi(argv[++i]);
    else if (a == "--only" && more) only = argv[++i];
    else if (a == "--modes" && more) modes = argv[++i];
    else if (a == "--no-latency") modes = "regret";  // the old flags
    else if (a == "--no-regret") modes = "latency";
    else if (a == "--workers" && more) workers = int_list(argv[++i]);
    else if (a == "--latency-sizes" && more) sizes = int_list(argv[++i]);
    else if (a == "--label" && more) label = argv[++i];
    else if (a == "--extra") extra = true;
    else if (a == "--no-random") with_random = false;
    else if (a == "--describe") describe_only = true;
    else if (a == "--surrogate" && more) cbo.surrogate = argv[++i];
    else if (a == "--acquisition" && more) cbo.acquisition = argv[++i];
    else if (a == "--kappa" && more) cbo.kappa = std::stod(argv[++i]);
    else if (a == "--kappa-decay" && more) cbo.kappa_decay = std::stod(argv[++i]);
    else if (a == "--transform" && more) cbo.objective_transform = argv[++i];
    else if (a == "--log-delta" && more) cbo.log_delta = std::stod(argv[++i]);
    else if (a == "--liar" && more) cbo.liar = argv[++i];
    else if (a == "--pending-kappa" && more) cbo.pending_kappa = std::stod(argv[++i]);
    else if (a == "--initial-points" && more) cbo.initial_points = std::stoi(argv[++i]);
    else if (a == "--gp-max" && more) cbo.gp_max_observations = std::stoi(argv[++i]);
    else if (a == "--gp-kernel" && more) cbo.gp_kernel = argv[++i];
    else if (a == "--gp-fit-rows" && more) cbo.gp.max_fit_rows = std::stoi(argv[++i]);
    else if (a == "--gp-iterations" && more) cbo.gp.fit_iterations = std::stoi(argv[++i]);
    else if (a == "--gp-refit-growth" && more) cbo.gp_refit_growth = std::stod(argv[++i]);
    else if (a == "--gp-lie-noise" && more) cbo.gp_lie_noise = std::stod(argv[++i]);
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  std::vector<int> checkpoints;
  for (int c : {50, 100, 200, 400, 800})
    if (c <= budget) checkpoints.push_back(c);
  if (checkpoints.empty() || checkpoints.back() != budget) checkpoints.push_back(budget);

  const std::vector<Problem> problems = load_problems(argv[1], extra);
  if (describe_only) {
    for (const Problem& p : problems)
      if (listed(only, p.name)) std::printf("%-12s %s\n", p.name.c_str(), describe_defaults(cbo, p.space).c_str());
    return 0;
  }
  std::vector<std::string> methods = {label};
  if (with_random) methods.push_back("kyper_random");
  auto make = [&](const std::string& method, const Problem& p, int seed) -> std::unique_ptr<Search> {
    const SearchOptions so{static_cast<std::uint64_t>(seed), false};
    if (method == "kyper_random") return std::make_unique<RandomSearch>(p.space, so);
    return std::make_unique<CBO>(p.space, so, cbo);
  };

  if (listed(modes, "regret"))
    for (const Problem& p : problems) {
      if (!listed(only, p.name)) continue;
      for (const std::string& method : methods) {
        std::vector<std::vector<double>> runs;
        const auto start = std::chrono::steady_clock::now();
        for (int seed = 0; seed < seeds; ++seed) runs.push_back(run_sequential(*make(method, p, seed), p, checkpoints));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        print_row("regret", method, p, 1, seeds, seconds, checkpoints, runs,
                  method == "kyper_random" ? "random" : describe_defaults(cbo, p.space));
      }
    }
  if (listed(modes, "concurrency"))
    for (const Problem& p : problems) {
      if (!listed(only, p.name)) continue;
      for (int w : workers)
        for (const std::string& method : methods) {
          std::vector<std::vector<double>> runs, times(static_cast<std::size_t>(seeds));
          const auto start = std::chrono::steady_clock::now();
          for (int seed = 0; seed < seeds; ++seed)
            runs.push_back(run_concurrent(*make(method, p, seed), p, checkpoints, w, static_cast<std::uint64_t>(seed),
                                          times[static_cast<std::size_t>(seed)]));
          const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          print_row("concurrency", method, p, w, seeds, seconds, checkpoints, runs,
                    method == "kyper_random" ? "random" : describe_defaults(cbo, p.space), times);
        }
    }
  if (listed(modes, "latency"))
    for (int n : sizes) latency(n, cbo, label);
  return 0;
}
