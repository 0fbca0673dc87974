#include "scheduler_wire.hpp"

namespace kyper::scheduler_detail {

void write_values(Writer& w, const search::Configuration& c) {
  w.pod<std::uint64_t>(c.size());
  for (const auto& v : c.values()) {
    if (std::holds_alternative<double>(v)) {
      w.pod<char>('n');
      w.pod<double>(std::get<double>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      w.pod<char>('s');
      w.text(std::get<std::string>(v));
    } else {
      w.pod<char>('-');
    }
  }
}

search::Configuration read_values(Reader& r, const search::Space& space) {
  const auto n = r.pod<std::uint64_t>();
  std::vector<search::Value> values;
  for (std::uint64_t i = 0; i < n; ++i) {
    const char tag = r.pod<char>();
    if (tag == 'n') values.emplace_back(r.pod<double>());
    else if (tag == 's') values.emplace_back(r.text());
    else values.emplace_back(std::monostate{});
  }
  search::Configuration config = space.default_configuration();
  KYPER_REQUIRE(values.size() == config.size(), "scheduler: configuration with " << values.size()
                                                    << " values for a space of " << config.size());
  config.values() = std::move(values);
  return config;
}

void write_outcome(Writer& w, std::int64_t id, const TrialOutcome& o, double start, double end, double busy) {
  w.pod(id);
  w.pod<char>(o.objective ? 1 : 0);
  w.pod<double>(o.objective.value_or(0.0));
  w.text(o.reason);
  w.pod(start), w.pod(end), w.pod(busy);
  w.pod<std::uint64_t>(o.metadata.size());
  for (const auto& [k, v] : o.metadata) w.text(k), w.text(v);
}

search::Result read_outcome(Reader& r, double* busy) {
  search::Result result;
  result.trial_id = r.pod<std::int64_t>();
  const bool ok = r.pod<char>() != 0;
  const double objective = r.pod<double>();
  if (ok) result.objective = objective;
  result.reason = r.text();
  result.timestamp_start = r.pod<double>();
  result.timestamp_end = r.pod<double>();
  *busy = r.pod<double>();
  const auto n = r.pod<std::uint64_t>();
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string k = r.text();
    result.metadata[k] = r.text();
  }
  return result;
}

void write_digest(Writer& w, const search::StopDigest& d) {
  w.pod<std::uint8_t>(d.maximize);
  w.pods(d.budgets);
  w.pods(d.values);
  w.pods(d.trials);
}

search::StopDigest read_digest(Reader& r) {
  search::StopDigest d;
  d.maximize = r.pod<std::uint8_t>() != 0;
  d.budgets = r.pods<double>();
  d.values = r.pods<double>();
  d.trials = r.pods<std::int64_t>();
  KYPER_REQUIRE(d.budgets.empty() || d.budgets.size() == d.values.size(),
                "scheduler: stopper digest with " << d.budgets.size() << " budgets and " << d.values.size() << " values");
  return d;
}

}  // namespace kyper::scheduler_detail
