// fuzz_replay: the fuzz drivers as a deterministic ctest (no clang needed). For every reader it runs
// each file of corpus/<reader>/, then KYPER_FUZZ_MUTATIONS (default 2000) seeded mutations of them
// (bit flips, byte edits, insertions, deletions, truncation, splicing two files, numbers replaced by
// huge/negative/NaN values, duplicated JSON keys, 64-bit length fields set to 10^12), and for the
// binary formats every 8-byte window of every seed set to a huge length. Every input must end in
// success or a kyper::Error: another exception fails the test (input saved under
// fuzz-findings/), a crash fails it by itself, an input running longer than
// KYPER_FUZZ_TIMEOUT seconds (default 10) aborts it, and so does a single allocation above
// KYPER_FUZZ_MAX_ALLOC bytes (default 1 GiB; global operator new is replaced below).
//   KYPER_FUZZ_SEED       mutation seed (default 1)
//   KYPER_FUZZ_READERS    comma-separated readers to run (default: all)
//   KYPER_FUZZ_INPUT      run this one file only (with KYPER_FUZZ_READERS naming its reader)
//   KYPER_FUZZ_VERBOSE=1  print how each corpus seed ends (accepted, or the readers' errors)
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// ---- The input being run, for the allocation and time-out reports (plain chars: signal-safe). ----
namespace {
char g_current[512] = "";
std::size_t g_max_alloc = std::size_t(1) << 30;

void set_current(const std::string& what) {
  std::snprintf(g_current, sizeof g_current, "%s", what.c_str());
}

void report_and_abort(const char* why) {
  // write(2) only: this runs inside operator new and in a signal handler.
  auto put = [](const char* s) { (void)!::write(2, s, std::strlen(s)); };
  put("\nfuzz_replay: ");
  put(why);
  put(" while running ");
  put(g_current);
  put("\n");
  std::abort();
}

// nvcc makes a replaced global operator new __host__ __device__, so in a CUDA build the checker it
// calls must be one too; device code never allocates through it, hence the host-only body.
#if defined(__CUDACC__)
__host__ __device__
#endif
void* checked_alloc(std::size_t size) {
#if defined(__CUDA_ARCH__)
  (void)size;
  return nullptr;
#else
  if (size > g_max_alloc) report_and_abort("an allocation above KYPER_FUZZ_MAX_ALLOC");
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
#endif
}

void on_alarm(int) { report_and_abort("a time-out (hang?)"); }
}  // namespace

void* operator new(std::size_t size) { return checked_alloc(size); }
void* operator new[](std::size_t size) { return checked_alloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (size > g_max_alloc) report_and_abort("an allocation above KYPER_FUZZ_MAX_ALLOC");
  return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& t) noexcept { return operator new(size, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

std::string env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// ---- Mutations: a small deterministic engine (no std distributions: same inputs everywhere). ----
class Mutator {
 public:
  Mutator(std::uint64_t seed, const std::vector<Bytes>& corpus) : rng_(seed), corpus_(corpus) {}

  std::uint64_t below(std::uint64_t n) { return n ? rng_() % n : 0; }

  // 1 to 4 edits of one corpus file; `how` says which, for the report.
  Bytes mutate(std::size_t& source, std::string& how) {
    source = below(corpus_.size());
    Bytes b = corpus_[source];
    const int edits = 1 + int(below(4));
    for (int e = 0; e < edits; ++e) how += (e ? "+" : "") + edit(b);
    return b;
  }

 private:
  std::string edit(Bytes& b) {
    static const char* numbers[] = {"1e308",  "-1e308", "1e999", "NaN", "nan", "-nan", "inf", "-inf", "-0", "-1",
                                    "0",      "2147483648", "-2147483649", "4294967296", "9223372036854775807",
                                    "9223372036854775808", "-9223372036854775809", "18446744073709551616",
                                    "1000000000000", "1e-320", "0.0000000000000000000001", "1e12", "65536"};
    static const std::uint64_t lengths[] = {1000000000000ull, ~0ull, 1ull << 63, 1ull << 32, 1ull << 31, 0x7fffffffull};
    switch (below(11)) {
      case 0: {  // flip a bit
        if (b.empty()) return "nop";
        b[below(b.size())] ^= std::uint8_t(1u << below(8));
        return "flip";
      }
      case 1: {  // set a byte to an interesting or random value
        if (b.empty()) return "nop";
        static const std::uint8_t values[] = {0, 0xff, 0x7f, 0x80, '"', ',', '\n', '\r', '{', '[', ']', '}', ':', '\\'};
        b[below(b.size())] = below(2) ? values[below(sizeof values)] : std::uint8_t(below(256));
        return "set";
      }
      case 2: {  // insert random bytes
        const std::size_t at = below(b.size() + 1), n = 1 + below(8);
        Bytes ins(n);
        for (auto& c : ins) c = std::uint8_t(below(256));
        b.insert(b.begin() + long(at), ins.begin(), ins.end());
        return "insert";
      }
      case 3: {  // delete a range
        if (b.empty()) return "nop";
        const std::size_t at = below(b.size()), n = 1 + below(std::min<std::size_t>(16, b.size() - at));
        b.erase(b.begin() + long(at), b.begin() + long(at + n));
        return "delete";
      }
      case 4: {  // truncate
        b.resize(below(b.size() + 1));
        return "truncate";
      }
      case 5: {  // splice: a prefix of this one, a suffix of another
        const Bytes& other = corpus_[below(corpus_.size())];
        const std::size_t cut = below(b.size() + 1), from = below(other.size() + 1);
        b.resize(cut);
        b.insert(b.end(), other.begin() + long(from), other.end());
        return "splice";
      }
      case 6:
      case 7: {  // replace a number (a run of digits, signs, dots, exponents) by an extreme one
        std::vector<std::size_t> starts;
        for (std::size_t i = 0; i < b.size(); ++i)
          if (std::isdigit(b[i]) && (i == 0 || (!std::isalnum(b[i - 1]) && b[i - 1] != '.'))) starts.push_back(i);
        if (starts.empty()) return "nop";
        std::size_t at = starts[below(starts.size())], end = at;
        if (at > 0 && b[at - 1] == '-') --at;
        while (end < b.size() && (std::isdigit(b[end]) || std::strchr(".eE+-", b[end]))) ++end;
        const char* n = numbers[below(sizeof numbers / sizeof *numbers)];
        b.erase(b.begin() + long(at), b.begin() + long(end));
        b.insert(b.begin() + long(at), n, n + std::strlen(n));
        return "number";
      }
      case 8: {  // duplicate a JSON key: `"key": <value>,` again right before it
        std::vector<std::size_t> keys;
        for (std::size_t i = 0; i + 1 < b.size(); ++i)
          if (b[i] == '"' && (i == 0 || b[i - 1] != '\\')) {
            std::size_t j = i + 1;
            while (j < b.size() && b[j] != '"') ++j;
            std::size_t k = j + 1;
            while (k < b.size() && (b[k] == ' ' || b[k] == '\n')) ++k;
            if (k < b.size() && b[k] == ':') keys.push_back(i);
            i = j;
          }
        if (keys.empty()) return "nop";
        const std::size_t at = keys[below(keys.size())];
        std::size_t end = at;
        int depth = 0;
        bool in_string = false;
        for (std::size_t i = at; i < b.size(); ++i) {
          const char c = char(b[i]);
          if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
          }
          if (c == '"') in_string = true;
          else if (c == '{' || c == '[') ++depth;
          else if ((c == '}' || c == ']') && depth-- == 0) { end = i; break; }
          else if (c == ',' && depth == 0) { end = i; break; }
          end = i + 1;
        }
        Bytes member(b.begin() + long(at), b.begin() + long(end));
        member.push_back(',');
        b.insert(b.begin() + long(at), member.begin(), member.end());
        return "dupkey";
      }
      case 9: {  // a 64-bit length field: 8 bytes set to a huge count
        if (b.size() < 8) return "nop";
        const std::uint64_t v = lengths[below(sizeof lengths / sizeof *lengths)];
        std::memcpy(b.data() + below(b.size() - 7), &v, 8);
        return "length";
      }
      default: {  // repeat a chunk (grows inputs, nests brackets)
        if (b.empty()) return "nop";
        const std::size_t at = below(b.size()), n = 1 + below(std::min<std::size_t>(64, b.size() - at));
        const Bytes chunk(b.begin() + long(at), b.begin() + long(at + n));
        for (int r = 0, times = 1 + int(below(8)); r < times; ++r) b.insert(b.begin() + long(at), chunk.begin(), chunk.end());
        return "repeat";
      }
    }
  }

  std::mt19937_64 rng_;
  const std::vector<Bytes>& corpus_;
};

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::uint64_t fnv(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct Stats {
  std::size_t inputs = 0, accepted = 0;  // accepted: no reader raised a kyper::Error
  std::vector<std::string> failures;
};

// Runs one input; a non-kyper::Error exception is recorded (and the input saved), not rethrown.
void run_one(const kyper::fuzz::Driver& d, const Bytes& input, const std::string& what, Stats& stats,
             int timeout) {
  set_current(std::string(d.name) + ": " + what);
  ++stats.inputs;
  kyper::fuzz::noted().clear();
  ::alarm(unsigned(timeout));
  std::string failure;
  try {
    d.run(input.data(), input.size());
  } catch (const kyper::Error& e) {
    failure = std::string("kyper::Error escaped the driver: ") + e.what();
  } catch (const std::exception& e) {
    failure = std::string("non-kyper exception: ") + e.what();
  } catch (...) {
    failure = "non-std exception";
  }
  ::alarm(0);
  if (failure.empty() && kyper::fuzz::noted().empty()) ++stats.accepted;
  if (failure.empty()) return;
  const fs::path dir = fs::current_path() / "fuzz-findings";
  fs::create_directories(dir);
  const fs::path saved = dir / (std::string(d.name) + "-" + std::to_string(stats.failures.size()) + ".bin");
  std::ofstream(saved, std::ios::binary).write(reinterpret_cast<const char*>(input.data()), long(input.size()));
  stats.failures.push_back(what + ": " + failure + " (input saved as " + saved.string() + ")");
}

bool selected(const std::string& name) {
  const std::string list = env("KYPER_FUZZ_READERS", "");
  if (list.empty()) return true;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');)
    if (item == name) return true;
  return false;
}

class FuzzReplay : public ::testing::TestWithParam<kyper::fuzz::Driver> {};

TEST_P(FuzzReplay, CorpusAndMutations) {
  const kyper::fuzz::Driver& d = GetParam();
  if (!selected(d.name)) GTEST_SKIP() << "not in KYPER_FUZZ_READERS";
  g_max_alloc = std::size_t(std::stod(env("KYPER_FUZZ_MAX_ALLOC", std::to_string(g_max_alloc))));
  const int timeout = std::stoi(env("KYPER_FUZZ_TIMEOUT", "10"));
  std::signal(SIGALRM, on_alarm);
  Stats stats;
  const auto start = std::chrono::steady_clock::now();

  const std::string single = env("KYPER_FUZZ_INPUT", "");
  if (!single.empty()) {
    run_one(d, read_bytes(single), single, stats, timeout);
    std::printf("[fuzz] %s %s:%s\n", d.name, single.c_str(), kyper::fuzz::noted().empty() ? " accepted" : "");
    for (const auto& m : kyper::fuzz::noted()) std::printf("         rejected: %s\n", m.c_str());
  } else {
    // The corpus, in name order.
    const fs::path dir = fs::path(KYPER_FUZZ_CORPUS) / d.name;
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << "no seeds in " << dir;
    std::vector<Bytes> corpus;
    for (const auto& f : files) {
      corpus.push_back(read_bytes(f));
      run_one(d, corpus.back(), "corpus " + f.filename().string(), stats, timeout);
      if (env("KYPER_FUZZ_VERBOSE", "0") != "0") {
        std::printf("[fuzz] %s %s:%s\n", d.name, f.filename().string().c_str(),
                    kyper::fuzz::noted().empty() ? " accepted" : "");
        for (const auto& m : kyper::fuzz::noted()) std::printf("         rejected: %s\n", m.c_str());
      }
    }
    // Every 8-byte window of a binary seed set to 10^12: no length field may be trusted.
    if (d.binary) {
      const std::uint64_t huge = 1000000000000ull;
      for (std::size_t f = 0; f < corpus.size(); ++f)
        for (std::size_t at = 0; at + 8 <= corpus[f].size() && at < 16384; ++at) {
          Bytes b = corpus[f];
          std::memcpy(b.data() + at, &huge, 8);
          run_one(d, b, "corpus " + files[f].filename().string() + " with 10^12 at byte " + std::to_string(at), stats,
                  timeout);
        }
    }
    const long mutations = std::stol(env("KYPER_FUZZ_MUTATIONS", "2000"));
    const std::uint64_t seed = std::stoull(env("KYPER_FUZZ_SEED", "1"));
    Mutator m(seed ^ fnv(d.name), corpus);
    for (long i = 0; i < mutations; ++i) {
      std::size_t source = 0;
      std::string how;
      const Bytes b = m.mutate(source, how);
      run_one(d, b, "mutation " + std::to_string(i) + " (seed " + std::to_string(seed) + ") of " +
                        files[source].filename().string() + ": " + how, stats, timeout);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[fuzz] %-18s %6zu inputs (%zu accepted) in %6.2f s, %zu findings\n", d.name, stats.inputs,
              stats.accepted, seconds, stats.failures.size());
  std::string all;
  for (std::size_t i = 0; i < stats.failures.size() && i < 20; ++i) all += "  " + stats.failures[i] + "\n";
  EXPECT_TRUE(stats.failures.empty()) << stats.failures.size() << " inputs ended in something other than success or "
                                      << "a kyper::Error:\n" << all;
}

INSTANTIATE_TEST_SUITE_P(Readers, FuzzReplay, ::testing::ValuesIn(kyper::fuzz::drivers()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
