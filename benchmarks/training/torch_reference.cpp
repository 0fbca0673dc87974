// LibTorch C++ (Debian's libtorch-dev 1.13) reference for the Kyper MLP
// training benchmark. This is the primary yardstick; torch_reference.py
// (PyTorch from Python) measures the same thing with interpreter overhead on
// top and is reported for information only.
//
// For each net: float32 MLP, ReLU hidden activations, linear output, MSE loss,
// Adam(lr=1e-3), random preallocated batch; one step =
// zero_grad(set_to_none) + forward + backward + Adam update. Measures steps/s
// as the median of --windows windows of >= --window-s seconds each, after
// warm-up.
//
// Debian's torch does not pass its thread count to OpenBLAS (which does the
// GEMMs), so for --threads T this tries every combination of
//   ATen threads     in {1, T}  (at::set_num_threads)
//   OpenBLAS threads in {1, T}  (openblas_set_num_threads; libtorch_cpu's
//                                sgemm_ goes through Debian's libblas.so.3
//                                wrapper into this same libopenblas.so.0)
// with short probes (interleaved over the setups, median per setup), then
// measures the winner in full. The C++ API's Adam has a single-tensor
// implementation only, so "adam=single" is always reported.
//
// Output: one JSON object per line, the same keys as torch_reference.py:
//   {"net":"A","samples_per_s":...,"steps_per_s":...,"us_per_step":...,
//    "gflops":...,"flops_per_sample":...,"batch":...,"threads":...,
//    "setup":"aten=1,openblas=2,adam=single","window_steps_per_s":[...],
//    "setups":{...},"torch":"libtorch 1.13 (C++)","openblas":"..."}
// Training FLOPs per sample are counted as 6 * sum(in*out) over the layers
// (forward 2, backward 4), as in the Kyper benchmark.
//
// Build (what run.sh does):
//   g++ -O2 -std=c++17 -I/usr/include/torch/csrc/api/include \
//       -o torch_reference_cpp torch_reference.cpp \
//       -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -lopenblas
// Usage: torch_reference_cpp [--threads T] [--nets A,B,C,D] [--windows N]
//          [--window-s S] [--warmup-s S] [--probe-windows N] [--probe-s S]
//          [--setup ATEN,BLAS]

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename();
extern "C" int openblas_get_num_threads(void);
extern "C" char* openblas_get_config(void);

namespace {

using Clock = std::chrono::steady_clock;

struct NetDef {
  const char* name;
  int64_t in;
  std::vector<int64_t> hidden;
  int64_t out;
  int64_t batch;
};

const std::vector<NetDef>& nets() {
  static const std::vector<NetDef> defs = {
      {"A", 8, {64, 64}, 1, 32},
      {"B", 8, {256, 256, 256}, 1, 256},
      {"C", 64, {1024, 1024}, 10, 512},
      {"D", 1, {32, 32, 32, 32, 32}, 2, 64},
  };
  return defs;
}

int64_t flops_per_sample(const NetDef& d) {
  std::vector<int64_t> dims;
  dims.push_back(d.in);
  dims.insert(dims.end(), d.hidden.begin(), d.hidden.end());
  dims.push_back(d.out);
  int64_t s = 0;
  for (size_t i = 0; i + 1 < dims.size(); ++i) s += dims[i] * dims[i + 1];
  return 6 * s;
}

// One net with its optimizer and preallocated batch.
struct Trainer {
  torch::nn::Sequential model;
  std::unique_ptr<torch::optim::Adam> opt;
  torch::Tensor x, y;

  explicit Trainer(const NetDef& d, uint64_t seed = 0) {
    torch::manual_seed(seed);
    int64_t prev = d.in;
    for (int64_t h : d.hidden) {
      model->push_back(torch::nn::Linear(prev, h));
      model->push_back(torch::nn::ReLU());
      prev = h;
    }
    model->push_back(torch::nn::Linear(prev, d.out));
    opt = std::make_unique<torch::optim::Adam>(
        model->parameters(), torch::optim::AdamOptions(1e-3));
    x = torch::randn({d.batch, d.in});
    y = torch::randn({d.batch, d.out});
  }

  void step() {
    model->zero_grad(/*set_to_none=*/true);
    torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    loss.backward();
    opt->step();
  }
};

void apply_setup(int aten, int blas) {
  at::set_num_threads(aten);
  openblas_set_num_threads(blas);
}

// Run steps until >= seconds have elapsed; return steps/s.
double timed_window(Trainer& t, double seconds) {
  long n = 0;
  const auto t0 = Clock::now();
  for (;;) {
    t.step();
    ++n;
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (dt >= seconds) return n / dt;
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  if (n == 0) return 0.0;
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string label(std::pair<int, int> c) {
  std::ostringstream s;
  s << "aten=" << c.first << ",openblas=" << c.second << ",adam=single";
  return s.str();
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    o += ch;
  }
  return o;
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--threads T] [--nets A,B,C,D] [--windows N] "
               "[--window-s S] [--warmup-s S] [--probe-windows N] "
               "[--probe-s S] [--setup ATEN,BLAS]\n",
               argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  // The OpenBLAS kernels this process runs (run.sh prints them beside the other sides').
  std::printf("{\"openblas_core\":\"%s\"}\n", openblas_get_corename());
  int threads = 1;
  std::string net_list = "A,B,C,D";
  int windows = 5;
  double window_s = 1.0;
  double warmup_s = 0.5;
  int probe_windows = 3;
  double probe_s = 0.3;
  std::string forced;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string val;
    bool has_eq = false;
    const auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_eq = true;
    }
    auto next = [&]() -> std::string {
      if (has_eq) return val;
      if (i + 1 >= argc) usage(argv[0]);
      return argv[++i];
    };
    if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--nets") net_list = next();
    else if (a == "--windows") windows = std::atoi(next().c_str());
    else if (a == "--window-s") window_s = std::atof(next().c_str());
    else if (a == "--warmup-s") warmup_s = std::atof(next().c_str());
    else if (a == "--probe-windows") probe_windows = std::atoi(next().c_str());
    else if (a == "--probe-s") probe_s = std::atof(next().c_str());
    else if (a == "--setup") forced = next();
    else usage(argv[0]);
  }
  const int T = std::max(1, threads);
  windows = std::max(1, windows);
  probe_windows = std::max(1, probe_windows);

  std::vector<std::pair<int, int>> candidates;
  if (!forced.empty()) {
    int aten = 1, blas = 1;
    if (std::sscanf(forced.c_str(), "%d,%d", &aten, &blas) != 2) usage(argv[0]);
    candidates.push_back({aten, blas});
  } else {
    std::set<std::pair<int, int>> s;
    for (int a : {1, T})
      for (int b : {1, T}) s.insert({a, b});
    candidates.assign(s.begin(), s.end());
  }

  std::string blas_cfg = openblas_get_config() ? openblas_get_config() : "";

  std::stringstream ns(net_list);
  std::string name;
  while (std::getline(ns, name, ',')) {
    const NetDef* def = nullptr;
    for (const auto& d : nets())
      if (name == d.name) def = &d;
    if (!def) {
      std::fprintf(stderr, "torch_reference: unknown net '%s'\n", name.c_str());
      return 2;
    }
    const int64_t fps = flops_per_sample(*def);
    Trainer tr(*def);

    std::map<std::pair<int, int>, double> probe;
    std::pair<int, int> best = candidates.front();
    if (candidates.size() > 1) {
      // Warm up, then probe the setups round-robin so that drifting
      // background load affects them alike.
      apply_setup(1, 1);
      timed_window(tr, warmup_s);
      std::map<std::pair<int, int>, std::vector<double>> rates;
      for (int w = 0; w < probe_windows; ++w) {
        for (const auto& c : candidates) {
          apply_setup(c.first, c.second);
          timed_window(tr, 0.1);
          rates[c].push_back(timed_window(tr, probe_s));
        }
      }
      double best_rate = -1.0;
      for (const auto& c : candidates) {
        probe[c] = median(rates[c]);
        if (probe[c] > best_rate) {
          best_rate = probe[c];
          best = c;
        }
      }
    }

    apply_setup(best.first, best.second);
    timed_window(tr, warmup_s);
    std::vector<double> rates;
    for (int w = 0; w < windows; ++w) rates.push_back(timed_window(tr, window_s));
    const double steps_per_s = median(rates);
    const double samples_per_s = steps_per_s * def->batch;

    std::printf("{\"net\":\"%s\",\"samples_per_s\":%.1f,\"steps_per_s\":%.2f,"
                "\"us_per_step\":%.2f,\"gflops\":%.3f,\"flops_per_sample\":%lld,"
                "\"batch\":%lld,\"threads\":%d,\"setup\":\"%s\","
                "\"window_steps_per_s\":[",
                def->name, samples_per_s, steps_per_s, 1e6 / steps_per_s,
                samples_per_s * fps / 1e9, static_cast<long long>(fps),
                static_cast<long long>(def->batch), T, label(best).c_str());
    for (size_t i = 0; i < rates.size(); ++i)
      std::printf("%s%.2f", i ? "," : "", rates[i]);
    std::printf("],\"setups\":{");
    bool first = true;
    for (const auto& kv : probe) {
      std::printf("%s\"%s\":%.1f", first ? "" : ",", label(kv.first).c_str(),
                  kv.second * def->batch);
      first = false;
    }
    std::printf("},\"torch\":\"libtorch %d.%d (C++)\",\"openblas\":\"%s\"}\n",
                TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR,
                json_escape(blas_cfg).c_str());
    std::fflush(stdout);
  }
  return 0;
}
