// LibTorch C++ (Debian's libtorch-dev) reference for benchmarks/recurrent: the same training step
// as bench_recurrent.cpp with torch::nn::LSTM (or GRU): 2 layers, input 5, sequence 8, batch 64,
// the last step's output into Linear(hidden, 1), MSE, Adam(1e-3). One step = zero_grad + forward +
// backward + Adam. For --threads T it probes ATen threads x OpenBLAS threads in {1, T} and measures
// the fastest set-up (median of --windows windows). Prints JSON lines like bench_recurrent.
//   g++ -O2 -std=c++17 -I/usr/include/torch/csrc/api/include torch_recurrent.cpp \
//       -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -lopenblas
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_config(void);

namespace {
using Clock = std::chrono::steady_clock;

struct Net : torch::nn::Module {
  torch::nn::LSTM lstm{nullptr};
  torch::nn::GRU gru{nullptr};
  torch::nn::Linear head{nullptr};
  Net(const std::string& cell, int hidden) {
    if (cell == "lstm")
      lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(5, hidden).num_layers(2).batch_first(true)));
    else
      gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(5, hidden).num_layers(2).batch_first(true)));
    head = register_module("head", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor seq = lstm ? std::get<0>(lstm->forward(x)) : std::get<0>(gru->forward(x));
    return head->forward(seq.select(1, seq.size(1) - 1));
  }
};

struct Step {
  std::shared_ptr<Net> net;
  std::unique_ptr<torch::optim::Adam> adam;
  torch::Tensor x, y;
  Step(const std::string& cell, int hidden) {
    torch::manual_seed(0);
    net = std::make_shared<Net>(cell, hidden);
    adam = std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(1e-3));
    x = torch::randn({64, 8, 5});
    y = torch::randn({64, 1});
  }
  void operator()() {
    net->zero_grad(true);
    torch::mse_loss(net->forward(x), y).backward();
    adam->step();
  }
};

double window(Step& step, double seconds) {
  long n = 0;
  const auto t0 = Clock::now();
  for (;;) {
    step();
    ++n;
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (dt >= seconds) return 64.0 * n / dt;
  }
}
}  // namespace

int main(int argc, char** argv) {
  int threads = 1, windows = 5;
  double seconds = 1.0;
  std::string cells = "lstm";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--windows")) windows = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--window-s")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--cells")) cells = argv[i + 1];
  }
  std::set<std::pair<int, int>> setups;
  for (int a : {1, threads})
    for (int b : {1, threads}) setups.insert({a, b});
  for (const std::string cell : {"lstm", "gru"}) {
    if (cells.find(cell) == std::string::npos) continue;
    for (int hidden : {32, 128}) {
      Step step(cell, hidden);
      window(step, 0.5);
      std::pair<int, int> best = *setups.begin();
      double best_rate = -1;
      for (const auto& s : setups) {
        at::set_num_threads(s.first);
        openblas_set_num_threads(s.second);
        window(step, 0.1);
        const double r = window(step, 0.4);
        if (r > best_rate) best_rate = r, best = s;
      }
      at::set_num_threads(best.first);
      openblas_set_num_threads(best.second);
      std::vector<double> rates;
      for (int w = 0; w < windows; ++w) rates.push_back(window(step, seconds));
      std::sort(rates.begin(), rates.end());
      std::printf("{\"cell\":\"%s\",\"hidden\":%d,\"samples_per_s\":%.1f,\"min\":%.1f,\"max\":%.1f,"
                  "\"setup\":\"aten=%d,openblas=%d\",\"openblas\":\"%s\"}\n",
                  cell.c_str(), hidden, rates[rates.size() / 2], rates.front(), rates.back(), best.first, best.second,
                  openblas_get_config() ? openblas_get_config() : "");
      std::fflush(stdout);
    }
  }
  return 0;
}
