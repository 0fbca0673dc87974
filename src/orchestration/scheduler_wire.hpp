// Internal to the scheduler (not installed): the bytes its MPI messages carry. A message is a few
// length-prefixed fields, enough for configurations and results; every read is bounds-checked, so
// a truncated or corrupt message is a kyper::Error, never an overrun.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <kyper/error.hpp>
#include <kyper/search/configuration.hpp>
#include <kyper/search/search.hpp>
#include <kyper/search/space.hpp>
#include <kyper/search/stopper.hpp>
#include <kyper/trial.hpp>

namespace kyper::scheduler_detail {

class Writer {
 public:
  template <class T>
  void pod(const T& v) {
    const char* p = reinterpret_cast<const char*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void text(const std::string& s) {
    pod<std::uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  template <class T>
  void pods(const std::vector<T>& v) {
    pod<std::uint64_t>(v.size());
    const char* p = reinterpret_cast<const char*>(v.data());
    bytes_.insert(bytes_.end(), p, p + v.size() * sizeof(T));
  }
  std::vector<char>& bytes() { return bytes_; }

 private:
  std::vector<char> bytes_;
};

class Reader {
 public:
  explicit Reader(const std::vector<char>& b) : bytes_(b) {}
  template <class T>
  T pod() {
    KYPER_REQUIRE(at_ + sizeof(T) <= bytes_.size(), "scheduler: truncated message");
    T v;
    std::memcpy(&v, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::string text() {
    const auto n = pod<std::uint64_t>();
    KYPER_REQUIRE(n <= bytes_.size() - at_, "scheduler: truncated message");
    std::string s(bytes_.data() + at_, n);
    at_ += n;
    return s;
  }
  // A length-prefixed array of T.
  template <class T>
  std::vector<T> pods() {
    const auto n = pod<std::uint64_t>();
    KYPER_REQUIRE(n <= (bytes_.size() - at_) / sizeof(T), "scheduler: truncated message");
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), bytes_.data() + at_, n * sizeof(T));
    at_ += n * sizeof(T);
    return v;
  }

 private:
  const std::vector<char>& bytes_;
  size_t at_ = 0;
};

void write_values(Writer& w, const search::Configuration& c);
search::Configuration read_values(Reader& r, const search::Space& space);
// A finished trial: id, outcome, wall-clock start and end, and the busy seconds of its rank.
void write_outcome(Writer& w, std::int64_t id, const TrialOutcome& o, double start, double end, double busy);
search::Result read_outcome(Reader& r, double* busy);
// A stopper's digest (rank 0 -> a worker, with its work and with each decision).
void write_digest(Writer& w, const search::StopDigest& d);
search::StopDigest read_digest(Reader& r);

}  // namespace kyper::scheduler_detail
