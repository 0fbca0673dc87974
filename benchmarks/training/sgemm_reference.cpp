// OpenBLAS SGEMM reference for the Kyper MLP training benchmark.
//
// Prints OpenBLAS SGEMM GFLOP/s (2*M*N*K flops per call) for the GEMM shapes
// of net C's forward layers (batch 512: 64->1024, 1024->1024, 1024->10) and a
// square 1024^3, with T OpenBLAS threads; median of several windows of
// >= WINDOW_S seconds after warm-up. One JSON object per line:
//   {"shape":"C1","m":512,"n":1024,"k":64,"threads":1,"gflops":...}
//
// Build: g++ -O2 -o sgemm_reference sgemm_reference.cpp -lopenblas
// Usage: sgemm_reference [--threads T] [--windows N] [--window-s S]

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename();
extern "C" int openblas_get_num_threads(void);

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  const char* name;
  int m, n, k;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  int windows = 5;
  double window_s = 1.0;
  double warmup_s = 0.3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads") threads = std::atoi(next());
    else if (a == "--windows") windows = std::atoi(next());
    else if (a == "--window-s") window_s = std::atof(next());
    else if (a == "--warmup-s") warmup_s = std::atof(next());
    else {
      std::fprintf(stderr, "usage: %s [--threads T] [--windows N] [--window-s S]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) threads = 1;
  if (windows < 1) windows = 1;
  openblas_set_num_threads(threads);
  std::printf("{\"openblas_core\":\"%s\"}\n", openblas_get_corename());

  // Row-major C[m x n] = A[m x k] * B[k x n], as in a Linear layer forward
  // (activations batch x in times weights in x out).
  const Shape shapes[] = {
      {"C1", 512, 1024, 64},
      {"C2", 512, 1024, 1024},
      {"C3", 512, 10, 1024},
      {"square1024", 1024, 1024, 1024},
  };

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);

  for (const Shape& s : shapes) {
    std::vector<float> A(size_t(s.m) * s.k), B(size_t(s.k) * s.n), C(size_t(s.m) * s.n, 0.f);
    for (auto& v : A) v = dist(rng);
    for (auto& v : B) v = dist(rng);
    auto call = [&]() {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.f, A.data(), s.k,
                  B.data(), s.n, 0.f, C.data(), s.n);
    };
    auto window = [&](double secs) {
      long calls = 0;
      auto t0 = Clock::now();
      double dt;
      do {
        call();
        ++calls;
        dt = seconds_since(t0);
      } while (dt < secs);
      return double(calls) / dt;
    };
    window(warmup_s);
    std::vector<double> rates;
    for (int w = 0; w < windows; ++w) rates.push_back(window(window_s));
    std::vector<double> sorted = rates;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = sorted.size();
    const double med = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    const double flops = 2.0 * s.m * s.n * s.k;
    std::printf("{\"shape\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":%d,"
                "\"gflops\":%.2f,\"us_per_call\":%.3f,\"window_gflops\":[",
                s.name, s.m, s.n, s.k, openblas_get_num_threads(), med * flops / 1e9, 1e6 / med);
    for (size_t w = 0; w < rates.size(); ++w)
      std::printf("%s%.2f", w ? "," : "", rates[w] * flops / 1e9);
    std::printf("]}\n");
    std::fflush(stdout);
  }
  return 0;
}
