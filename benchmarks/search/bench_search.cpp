// Search benchmark (not a test). Prints, as JSON lines, the best-found regret after 50/100/200
// evaluations (mean over seeds) of CBO and random search on the functions of a functions JSON
// file (minimisation problems with f_min), and the latency of CBO's ask at 100, 1,000 and
// 5,000 observations in 10-D. benchmarks/search/run.sh puts it next to Optuna's TPE.
//
//   bench_search FUNCTIONS.json [--seeds 10] [--budget 200] [--only NAME] [--no-latency]
//                [--no-regret] [--surrogate GP] [--acquisition UCB] [--kappa 1.96]
//                [--kappa-decay 1] [--log-objective 1]
#include <kyper/error.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/json.hpp>
#include <kyper/search/random_search.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
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
  std::function<double(const std::vector<double>&)> f;
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

std::vector<Problem> load_problems(const std::string& path) {
  std::ifstream in(path);
  KYPER_REQUIRE(in, "cannot open " << path);
  std::stringstream text;
  text << in.rdbuf();
  rj::Document doc;
  doc.Parse(text.str().c_str());
  KYPER_REQUIRE(!doc.HasParseError() && doc.HasMember("problems"), path << ": not a functions file");
  std::vector<Problem> problems;
  for (const auto& p : doc["problems"].GetArray()) {
    Problem prob;
    prob.name = p["name"].GetString();
    prob.f_min = p["f_min"].GetDouble();
    for (const auto& param : p["params"].GetArray())
      prob.space.add_float(param["name"].GetString(), param["low"].GetDouble(), param["high"].GetDouble());
    if (prob.name.rfind("branin", 0) == 0) {
      prob.f = branin;
    } else if (prob.name.rfind("hartmann", 0) == 0) {
      const auto& c = p["constants"];
      const std::vector<double> alpha = numbers(c["alpha"]);
      std::vector<std::vector<double>> A, P;
      for (const auto& row : c["A"].GetArray()) A.push_back(numbers(row));
      for (const auto& row : c["P_times_1e4"].GetArray()) P.push_back(numbers(row));
      prob.f = [alpha, A, P](const std::vector<double>& x) {
        double f = 0;
        for (std::size_t i = 0; i < alpha.size(); ++i) {
          double s = 0;
          for (std::size_t j = 0; j < x.size(); ++j) s += A[i][j] * std::pow(x[j] - P[i][j] * 1e-4, 2);
          f -= alpha[i] * std::exp(-s);
        }
        return f;
      };
    } else if (prob.name.rfind("ackley", 0) == 0) {
      prob.f = ackley;
    } else if (prob.name.rfind("levy", 0) == 0) {
      prob.f = levy;
    } else if (prob.name.rfind("rosenbrock", 0) == 0) {
      prob.f = rosenbrock;
    } else {
      std::cerr << "skipping unknown function " << prob.name << "\n";
      continue;
    }
    problems.push_back(std::move(prob));
  }
  return problems;
}

std::vector<double> point(const Configuration& c) {
  std::vector<double> x;
  for (const auto& v : c.values()) x.push_back(std::get<double>(v));
  return x;
}

// Best-so-far regret after each checkpoint count of evaluations, one ask/tell at a time
// (the sequential setting TPE runs in).
std::vector<double> run(Search& search, const Problem& p, const std::vector<int>& checkpoints) {
  std::vector<double> regrets;
  double best = INFINITY;
  for (int n = 1; n <= checkpoints.back(); ++n) {
    const Trial t = search.ask(1)[0];
    const double y = p.f(point(t.config));
    best = std::min(best, y);
    search.tell(Result::success(t.id, y));
    if (std::find(checkpoints.begin(), checkpoints.end(), n) != checkpoints.end())
      regrets.push_back(best - p.f_min);
  }
  return regrets;
}

// One configuration for every function (no per-function tuning); flags override it.
CBOOptions benchmark_cbo() {
  CBOOptions o;
  o.surrogate = "GP";
  o.acquisition = "UCB";
  o.kappa = 1.96;
  o.initial_points = 10;
  o.log_objective = true;
  return o;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void latency(int observations) {
  Space s;
  for (int j = 0; j < 10; ++j) s.add_float("x" + std::to_string(j), 0, 1);
  CBO cbo(s, {1, false}, CBOOptions{});  // the default: extra-trees, UCB
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
  // Wall time, and the thread's CPU time, which a machine shared with other jobs inflates less.
  std::vector<double> ms, cpu_ms;
  for (int i = 0; i < 21; ++i) {
    const double cpu_start = thread_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    const Trial t = cbo.ask(1)[0];
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    cpu_ms.push_back(thread_cpu_ms() - cpu_start);
    cbo.tell(Result::success(t.id, ackley(point(t.config))));
  }
  std::printf("{\"kind\": \"latency\", \"method\": \"kyper_cbo_et\", \"observations\": %d, \"ms\": %.3f, \"cpu_ms\": %.3f}\n",
              observations, median(ms), median(cpu_ms));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_search FUNCTIONS.json [--seeds N] [--budget B] [--only NAME] [--no-latency]\n";
    return 2;
  }
  int seeds = 10, budget = 200;
  CBOOptions cbo = benchmark_cbo();
  std::string only;
  bool do_latency = true, do_regret = true;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    else if (a == "--budget" && i + 1 < argc) budget = std::stoi(argv[++i]);
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--no-latency") do_latency = false;
    else if (a == "--no-regret") do_regret = false;
    else if (a == "--surrogate" && i + 1 < argc) cbo.surrogate = argv[++i];
    else if (a == "--acquisition" && i + 1 < argc) cbo.acquisition = argv[++i];
    else if (a == "--kappa" && i + 1 < argc) cbo.kappa = std::stod(argv[++i]);
    else if (a == "--kappa-decay" && i + 1 < argc) cbo.kappa_decay = std::stod(argv[++i]);
    else if (a == "--rank-objective" && i + 1 < argc) cbo.rank_objective = std::stoi(argv[++i]) != 0;
    else if (a == "--log-objective" && i + 1 < argc) cbo.log_objective = std::stoi(argv[++i]) != 0;
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  std::vector<int> checkpoints;
  for (int c : {50, 100, 200})
    if (c <= budget) checkpoints.push_back(c);
  if (checkpoints.empty() || checkpoints.back() != budget) checkpoints.push_back(budget);

  if (do_regret)
    for (const Problem& p : load_problems(argv[1])) {
      if (!only.empty() && p.name != only) continue;
      const std::string cbo_name = "kyper_cbo_" + cbo.surrogate;
      for (const std::string& method : {cbo_name, std::string("kyper_random")}) {
        std::vector<double> mean(checkpoints.size(), 0.0);
        const auto start = std::chrono::steady_clock::now();
        for (int seed = 0; seed < seeds; ++seed) {
          std::unique_ptr<Search> search;
          if (method == "kyper_random")
            search = std::make_unique<RandomSearch>(p.space, SearchOptions{static_cast<std::uint64_t>(seed), false});
          else
            search = std::make_unique<CBO>(p.space, SearchOptions{static_cast<std::uint64_t>(seed), false}, cbo);
          const auto r = run(*search, p, checkpoints);
          for (std::size_t k = 0; k < r.size(); ++k) mean[k] += r[k] / seeds;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("{\"kind\": \"regret\", \"method\": \"%s\", \"function\": \"%s\", \"seeds\": %d, \"seconds\": %.2f, \"regret\": {",
                    method.c_str(), p.name.c_str(), seeds, seconds);
        for (std::size_t k = 0; k < checkpoints.size(); ++k)
          std::printf("%s\"%d\": %.6g", k ? ", " : "", checkpoints[k], mean[k]);
        std::printf("}}\n");
        std::fflush(stdout);
      }
    }
  if (do_latency)
    for (int n : {100, 1000, 5000}) latency(n);
  return 0;
}
