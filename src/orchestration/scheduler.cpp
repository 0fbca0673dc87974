#include <kyper/scheduler.hpp>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <list>
#include <optional>
#include <thread>

#include <kyper/error.hpp>
#include <kyper/search/results_table.hpp>

#include "checkpoint.hpp"
#include "collective.hpp"
#include "output_lock.hpp"
#include "progress_log.hpp"
#include "scheduler_wire.hpp"
#include "stop_notice.hpp"

namespace kyper {

namespace fs = std::filesystem;
using search::Observation;
using search::Result;
using namespace scheduler_detail;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long count_failed(const search::Search& s) {
  long failed = 0;
  for (const auto& o : s.observations()) failed += o.failed();
  return failed;
}

void print_progress(const search::Search& s, const Observation& o, double elapsed, double utilisation, long budget,
                    const char* prefix = "") {
  auto best = s.best();
  std::string objective = o.objective ? std::to_string(*o.objective) : "failed (" + o.reason + ")";
  std::printf("%s[trial %4" PRId64 "] objective %-14s best %-12s elapsed %8.1f s  utilisation %5.1f%%  (%zu/%ld done)\n",
              prefix, o.id, objective.c_str(), best ? std::to_string(*best->objective).c_str() : "-", elapsed,
              100.0 * utilisation, s.observations().size(), budget);
  std::fflush(stdout);
}

bool budget_left(const search::Search& s, const SchedulerOptions& o, long dispatched_extra, Clock::time_point start) {
  if (o.max_evaluations > 0 && long(s.observations().size()) + dispatched_extra >= o.max_evaluations) return false;
  if (o.max_seconds > 0 && seconds_since(start) >= o.max_seconds) return false;
  return true;
}

void check_budget(const SchedulerOptions& o) {
  KYPER_REQUIRE(o.max_evaluations > 0 || o.max_seconds > 0,
                "scheduler: set a budget (max_evaluations and/or max_seconds), or the search never ends");
  KYPER_REQUIRE(o.trial_timeout >= 0, "scheduler: trial_timeout must be >= 0");
}

TrialContext make_context(std::int64_t id, int rank, const SchedulerOptions& o) {
  TrialContext c;
  c.trial_id = id, c.rank = rank, c.output_dir = o.output_dir, c.timeout_seconds = o.trial_timeout;
  c.local_rank = node_local_rank(rank);
  c.device = node_device(c.local_rank, int(node_gpus().size()));
  c.start = Clock::now();
  return c;
}

// Checkpoints (Checkpointer): at most one a second besides those that reserve ids; a master reserves
// 8 ids per worker (at least 64, master_reserved_ids with MPI), a rank running its own trials 16. A
// resumed search skips the rest of the reserve: its trial ids go on with a gap.
constexpr double kCheckpointSeconds = 1.0;
constexpr std::int64_t kLocalReservedIds = 16;

// Asks for one trial, runs it in this process and tells its result; the checkpoint is written
// as `checkpoints` says after the ask (ids handed out are never reused after a kill) and after
// the tell.
struct LocalTrial {
  search::Trial trial;
  TrialOutcome outcome;
  Result result;
  double seconds = 0;
};

// A multi-fidelity search's reports of this process's trials: judged by its stopper and logged
// (and, decentralized, shared with the other ranks by `share`).
struct LocalProgress {
  search::Stopper* stopper = nullptr;  // nullptr: no stopper
  ProgressLog* log = nullptr;
  std::function<void()> before;  // runs before each decision (decentralized: take others' reports)
  std::function<void(const ProgressReport&)> share;
};

LocalTrial run_local_trial(search::Search& s, const TrialFunction& function, const SchedulerOptions& options,
                           int rank, Checkpointer& checkpoints, const LocalProgress& progress = {}) {
  LocalTrial local;
  local.trial = s.ask(1).front();
  checkpoints.before_handing_out(s);
  TrialContext context = make_context(local.trial.id, rank, options);
  if (progress.stopper)
    context.reporter = [&progress, id = local.trial.id](double budget, double value) {
      if (progress.before) progress.before();
      const bool stop = progress.stopper->report(id, budget, value);
      progress.log->append({id, budget, value});
      if (progress.share) progress.share({id, budget, value});
      return stop;
    };
  const double wall_start = search::now_seconds();
  local.outcome = run_trial_guarded(function, local.trial.config, context);
  if (progress.stopper) mark_progress(local.outcome, *progress.stopper, local.trial.id);
  local.seconds = context.elapsed();
  Result& r = local.result;
  static_cast<search::Outcome&>(r) = local.outcome;
  r.trial_id = local.trial.id;
  r.timestamp_start = wall_start, r.timestamp_end = search::now_seconds();
  s.tell(r);
  checkpoints.after_results(s);
  return local;
}

SearchSummary summarize(const search::Search& s, long resumed, double seconds, double utilisation, int ranks) {
  SearchSummary summary;
  summary.finished = long(s.observations().size());
  summary.failed = count_failed(s);
  summary.resumed = resumed;
  summary.best = s.best();
  summary.seconds = seconds;
  summary.utilisation = utilisation;
  summary.ranks = ranks;
  return summary;
}

std::set<std::int64_t> finished_ids(const search::Search& s) {
  std::set<std::int64_t> ids;
  for (const auto& o : s.observations()) ids.insert(o.id);
  return ids;
}

}  // namespace

SearchSummary run_search(search::Search& s, const TrialFunction& trial, const SchedulerOptions& given) {
  check_budget(given);
  const SchedulerOptions options = with_stopper_columns(given);
  OutputLock lock(options.output_dir);  // held until the search returns
  StopNotice notice(options.output_dir, true, false);
  Output out(options, "");
  prepare_output(out, s.space(), options);
  open_output(out, s, options);
  const std::string progress_file = progress_path(options, "");
  std::unique_ptr<search::Stopper> stopper = open_stopper(options, s.maximize(), {progress_file}, finished_ids(s));
  std::optional<ProgressLog> log;
  if (stopper) log.emplace(progress_file, out.resuming);
  const LocalProgress progress{stopper.get(), log ? &*log : nullptr, {}, {}};
  const auto start = Clock::now();
  double busy = 0;
  Checkpointer checkpoints(out.checkpoint_path, kLocalReservedIds, kCheckpointSeconds);
  while (budget_left(s, options, 0, start)) {
    busy += run_local_trial(s, trial, options, 0, checkpoints, progress).seconds;
    if (options.verbose)
      print_progress(s, s.observations().back(), seconds_since(start), busy / std::max(1e-9, seconds_since(start)),
                     options.max_evaluations);
  }
  checkpoints.write(s);
  const double seconds = seconds_since(start);
  return summarize(s, out.resumed, seconds, seconds > 0 ? busy / seconds : 0, 1);
}

#if KYPER_HAS_MPI
namespace {
std::int64_t master_reserved_ids(int workers) { return std::max<std::int64_t>(64, 8 * std::int64_t(workers)); }

constexpr int kTagWork = 101, kTagResult = 102, kTagStop = 103, kTagShare = 104;
// Progress of a running trial: worker -> master (a report) and back (the decision), or shared
// between the ranks of a decentralized search.
constexpr int kTagReport = 105, kTagDecision = 106, kTagProgress = 107;

void write_report(Writer& w, const ProgressReport& r) {
  w.pod(r.trial_id);
  w.pod(r.budget);
  w.pod(r.value);
}

ProgressReport read_report(Reader& r) {
  ProgressReport report;
  report.trial_id = r.pod<std::int64_t>();
  report.budget = r.pod<double>();
  report.value = r.pod<double>();
  return report;
}

std::vector<char> receive(MPI_Comm comm, const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_CHAR, &count);
  std::vector<char> buffer(count);
  MPI_Recv(buffer.data(), count, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, comm, MPI_STATUS_IGNORE);
  return buffer;
}

// Non-blocking sends whose buffers stay alive until MPI is done with them.
class SendQueue {
 public:
  void send(std::vector<char> bytes, int to, int tag, MPI_Comm comm) {
    items_.push_back({std::move(bytes), MPI_REQUEST_NULL});
    auto& item = items_.back();
    MPI_Isend(item.bytes.data(), int(item.bytes.size()), MPI_CHAR, to, tag, comm, &item.request);
    reap();
  }
  void reap() {
    for (auto it = items_.begin(); it != items_.end();) {
      int done = 0;
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
      it = done ? items_.erase(it) : std::next(it);
    }
  }
  void wait_all() {
    for (auto& item : items_) MPI_Wait(&item.request, MPI_STATUS_IGNORE);
    items_.clear();
  }

 private:
  struct Item {
    std::vector<char> bytes;
    MPI_Request request;
  };
  std::list<Item> items_;
};

// Takes the next message with `tag` that has arrived from any rank; false when none has.
bool try_receive(MPI_Comm comm, int tag, MPI_Status& status, std::vector<char>& bytes) {
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, tag, comm, &flag, &status);
  if (flag) bytes = receive(comm, status);
  return flag != 0;
}

// Polls for a message without spinning a core: ranks are often oversubscribed.
bool poll(MPI_Comm comm, int source, int tag, MPI_Status* status) {
  int flag = 0;
  MPI_Iprobe(source, tag, comm, &flag, status);
  if (!flag) std::this_thread::sleep_for(std::chrono::microseconds(200));
  return flag != 0;
}

// Waits for a message from `source`: first probing and yielding the core, since new work and a
// stopper's decision come within a fraction of a millisecond and, with ranks oversubscribed, a
// sleep's wake-up costs more than that (measured: a rung decision took 1 ms to arrive with sleeps
// alone, 0.4 ms this way); past a millisecond, by poll() (a rank that waits long spins no core).
void wait_for_message(MPI_Comm comm, int source, int tag, MPI_Status* status) {
  const auto start = Clock::now();
  while (true) {
    int flag = 0;
    MPI_Iprobe(source, tag, comm, &flag, status);
    if (flag) return;
    if (Clock::now() - start < std::chrono::milliseconds(1)) std::this_thread::yield();
    else if (poll(comm, source, tag, status)) return;
  }
}

SearchSummary run_master(search::Search& s, const SchedulerOptions& options, MPI_Comm comm, int size,
                         const Output& out) {
  const std::string progress_file = progress_path(options, "");
  std::unique_ptr<search::Stopper> stopper = open_stopper(options, s.maximize(), {progress_file}, finished_ids(s));
  std::optional<ProgressLog> log;
  if (stopper) log.emplace(progress_file, out.resuming);
  // The stopper's digest goes out with every trial and every decision: with it a worker tells by
  // itself that most reports of median and lce stoppers cannot stop its trial. Made again when
  // reports have come in since, at most once a millisecond (it reads every curve; rank 0 answers
  // a report or result every fraction of a millisecond).
  search::StopDigest digest;
  std::size_t digest_reports = std::size_t(-1);
  auto digest_made = Clock::now();
  auto current_digest = [&]() -> const search::StopDigest& {
    if (stopper->reports_recorded() != digest_reports &&
        (digest_reports == std::size_t(-1) || Clock::now() - digest_made >= std::chrono::milliseconds(1))) {
      digest = stopper->digest();
      digest_reports = stopper->reports_recorded();
      digest_made = Clock::now();
    }
    return digest;
  };
  // A worker's report. One that may stop its trial is judged at once (the worker waits; a bad
  // report goes back as its error); one that cannot (Stopper::may_stop, or the digest the worker
  // holds says it continues) is only recorded: the worker went on training.
  std::map<std::int64_t, std::uint32_t> reports_taken;  // per trial in flight
  auto last_message = Clock::now();
  // Workers waiting for work, and those whose trial is about to end (told to stop, or reported its
  // full budget): they get their next trial before their result arrives, so they do not wait for
  // it after sending the result.
  std::vector<int> idle;
  for (int w = size - 1; w >= 1; --w) idle.push_back(w);
  std::set<int> freed_early;
  auto free_soon = [&](int worker) {
    if (freed_early.insert(worker).second) idle.push_back(worker);
  };
  auto take_report = [&](const std::vector<char>& bytes, int source) {
    last_message = Clock::now();
    Reader r(bytes);
    const ProgressReport report = read_report(r);
    const bool waits = r.pod<std::uint8_t>() != 0;
    ++reports_taken[report.trial_id];
    if (!waits) {
      try {
        stopper->observe(report.trial_id, report.budget, report.value);
        log->append(report);
        if (report.budget >= stopper->options().max_budget * (1 - 1e-12)) free_soon(source);
      } catch (const Error& e) {  // the worker checked it already: only a bug gets here
        std::fprintf(stderr, "kyper: rank 0 could not record a report of trial %" PRId64 ": %s\n", report.trial_id,
                     e.what());
      }
      return;
    }
    Writer decision;
    try {
      const bool stop = stopper->report(report.trial_id, report.budget, report.value);
      log->append(report);
      if (stop) free_soon(source);
      decision.pod<std::uint8_t>(stop);
      decision.text("");
    } catch (const Error& e) {
      decision.pod<std::uint8_t>(0);
      decision.text(e.what());
    }
    write_digest(decision, current_digest());
    MPI_Send(decision.bytes().data(), int(decision.bytes().size()), MPI_CHAR, source, kTagDecision, comm);
  };
  auto answer_reports = [&] {
    MPI_Status status;
    std::vector<char> bytes;
    while (stopper && try_receive(comm, kTagReport, status, bytes)) take_report(bytes, status.MPI_SOURCE);
  };
  const auto start = Clock::now();
  std::map<std::int64_t, int> in_flight;  // trial -> worker (a worker freed early may hold two)
  SendQueue sends;
  double busy_total = 0;
  Checkpointer checkpoints(out.checkpoint_path, master_reserved_ids(size - 1), kCheckpointSeconds);
  while (true) {
    // 1. Take every result that has arrived (tell writes its results.csv row).
    long told = 0;
    answer_reports();
    MPI_Status status;
    std::vector<char> bytes;
    while (try_receive(comm, kTagResult, status, bytes)) {
      Reader r(bytes);
      double busy = 0;
      Result result = read_outcome(r, &busy);
      // MPI keeps the order of one sender's messages of one tag, not across tags: the reports the
      // worker sent before this result may still be on their way. Take them first.
      const auto reports_sent = r.pod<std::uint32_t>();
      while (stopper && reports_taken[result.trial_id] < reports_sent) {
        MPI_Status report_status;
        MPI_Probe(status.MPI_SOURCE, kTagReport, comm, &report_status);
        take_report(receive(comm, report_status), status.MPI_SOURCE);
      }
      reports_taken.erase(result.trial_id);
      if (stopper) mark_progress(result, *stopper, result.trial_id);
      busy_total += busy;
      in_flight.erase(result.trial_id);
      if (freed_early.erase(status.MPI_SOURCE) == 0) idle.push_back(status.MPI_SOURCE);
      s.tell(result);
      ++told;
      answer_reports();  // a worker waiting on a decision should not wait for every synced row
    }
    // 2. Hand work to every idle worker with one ask (one surrogate fit for all of them; batch-aware
    //    strategies such as qUCB / constant liar spread the points). The checkpoint covers the
    //    ids before the sends, so ids handed out are never reused after a kill.
    long can_start = 0;
    while (can_start < long(idle.size()) && budget_left(s, options, long(in_flight.size()) + can_start, start)) ++can_start;
    if (can_start > 0) {
      std::vector<search::Trial> trials = s.ask(int(can_start));
      answer_reports();
      checkpoints.before_handing_out(s);
      for (search::Trial& t : trials) {
        const int worker = idle.back();
        idle.pop_back();
        Writer w;
        w.pod(t.id);
        write_values(w, t.config);
        if (stopper) write_digest(w, current_digest());
        sends.send(std::move(w.bytes()), worker, kTagWork, comm);
        in_flight[t.id] = worker;
      }
    }
    if (told > 0) checkpoints.after_results(s);
    // 3. Bookkeeping after the workers have their next trial.
    if (told > 0 && options.verbose) {
      const double elapsed = seconds_since(start);
      const auto& obs = s.observations();
      for (size_t i = obs.size() - size_t(told); i < obs.size(); ++i)
        print_progress(s, obs[i], elapsed, busy_total / std::max(1e-9, elapsed * (size - 1)), options.max_evaluations);
    }
    sends.reap();
    if (in_flight.empty()) break;
    // Idle: yield the core for five milliseconds after the last message (the next report or result
    // is likely near, see wait_for_message; with a millisecond, median-stopper searches of 10 ms
    // trials lost 1-2% utilisation to rank 0's wake-ups), then sleep between probes.
    if (told > 0) last_message = Clock::now();
    else if (Clock::now() - last_message < std::chrono::milliseconds(5)) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  checkpoints.write(s);
  for (int w = 1; w < size; ++w) sends.send({}, w, kTagStop, comm);
  sends.wait_all();
  const double seconds = seconds_since(start);
  // Utilisation from the workers' own clocks: busy time / time from start to their stop.
  std::vector<double> worker_stats(2 * size, 0.0);
  double mine[2] = {0, 0};
  MPI_Gather(mine, 2, MPI_DOUBLE, worker_stats.data(), 2, MPI_DOUBLE, 0, comm);
  double busy = 0, wall = 0;
  for (int w = 1; w < size; ++w) busy += worker_stats[2 * w], wall += worker_stats[2 * w + 1];
  return summarize(s, out.resumed, seconds, wall > 0 ? busy / wall : 0, size);
}

void run_worker(const search::Space& space, const TrialFunction& trial, const SchedulerOptions& options, MPI_Comm comm,
                int rank) {
  const auto start = Clock::now();
  double busy = 0;
  // The stopper's rule without its state: which reports may stop a trial, the checks of a report
  // (a bad one fails the trial here, as on rank 0) and, with rank 0's latest digest of the other
  // curves, which reports surely continue. The rest wait for rank 0's decision.
  const std::unique_ptr<search::Stopper> rule = search::make_stopper(options.stopper, true);
  while (true) {
    MPI_Status status;
    wait_for_message(comm, 0, MPI_ANY_TAG, &status);
    std::vector<char> bytes = receive(comm, status);
    if (status.MPI_TAG == kTagStop) break;
    Reader r(bytes);
    const auto id = r.pod<std::int64_t>();
    search::Configuration config = read_values(r, space);
    search::StopDigest digest;
    if (rule) digest = read_digest(r);
    std::vector<search::Progress> curve;  // this trial's reports
    TrialContext context = make_context(id, rank, options);
    double waited = 0;  // for rank 0's decisions: not trial work
    std::uint32_t reports = 0;
    if (rule)
      context.reporter = [&](double budget, double value) {
        const auto asked = Clock::now();
        rule->check_report(id, curve.empty() ? 0 : curve.back().budget, budget, value);
        curve.push_back({budget, value});
        const bool wait = !rule->continues_by(digest, id, curve);
        ++reports;
        Writer w;
        write_report(w, {id, budget, value});
        w.pod<std::uint8_t>(wait);
        MPI_Send(w.bytes().data(), int(w.bytes().size()), MPI_CHAR, 0, kTagReport, comm);
        if (!wait) return false;
        MPI_Status answered;
        wait_for_message(comm, 0, kTagDecision, &answered);
        std::vector<char> reply = receive(comm, answered);
        Reader decision(reply);
        const bool stop = decision.pod<std::uint8_t>() != 0;
        const std::string error = decision.text();
        digest = read_digest(decision);
        waited += seconds_since(asked);
        if (!error.empty()) throw Error(error);
        return stop;
      };
    const double wall_start = search::now_seconds();
    TrialOutcome outcome = run_trial_guarded(trial, config, context);
    const double trial_busy = context.elapsed() - waited;
    busy += trial_busy;
    Writer w;
    write_outcome(w, id, outcome, wall_start, search::now_seconds(), trial_busy);
    w.pod<std::uint32_t>(reports);
    MPI_Send(w.bytes().data(), int(w.bytes().size()), MPI_CHAR, 0, kTagResult, comm);
  }
  double mine[2] = {busy, seconds_since(start)};
  MPI_Gather(mine, 2, MPI_DOUBLE, nullptr, 2, MPI_DOUBLE, 0, comm);
}

// Every rank: its own search on its share of the budget; results go to every other rank.
SearchSummary run_decentralized(search::Search& s, const TrialFunction& trial, const SchedulerOptions& options,
                                MPI_Comm comm, int rank, int size) {
  KYPER_REQUIRE(s.options().id_stride == size && s.options().id_offset == rank,
                "decentralized search on rank " << rank << " needs SearchOptions id_offset = rank and id_stride = "
                                                << size << " (trial ids must not clash across ranks)");
  // One lock per job, taken by rank 0. Each rank repairs its own results table, then (once every
  // table is repaired) reads every rank's, then (once every rank has read them) runs trials.
  StopNotice notice(options.output_dir, rank == 0, size > 1);
  std::optional<OutputLock> lock;
  run_collectively(comm, [&] {
    if (rank == 0) lock.emplace(options.output_dir);
  });
  Output out(options, ".rank" + std::to_string(rank));
  run_collectively(comm, [&] { prepare_output(out, s.space(), options); });
  std::vector<std::string> other_tables;
  for (int other = 0; other < size; ++other)
    if (other != rank) other_tables.push_back(Output(options, ".rank" + std::to_string(other)).results_path);
  run_collectively(comm, [&] { open_output(out, s, options, other_tables); });
  std::vector<std::string> progress_files;
  for (int r = 0; r < size; ++r) progress_files.push_back(progress_path(options, ".rank" + std::to_string(r)));
  std::unique_ptr<search::Stopper> stopper;
  std::optional<ProgressLog> log;
  run_collectively(comm, [&] {
    stopper = open_stopper(options, s.maximize(), progress_files, finished_ids(s));
    if (stopper) log.emplace(progress_files[std::size_t(rank)], out.resuming);
  });
  // Share of the evaluation budget: equal parts, the first ranks take the remainder.
  SchedulerOptions mine = options;
  if (options.max_evaluations > 0) {
    long own_done = 0;
    for (const auto& o : s.observations()) own_done += (o.id % size == rank);
    const long share = options.max_evaluations / size + (rank < options.max_evaluations % size ? 1 : 0);
    mine.max_evaluations = long(s.observations().size()) - own_done + share;  // foreign rows count too
  }
  const auto start = Clock::now();
  Checkpointer checkpoints(out.checkpoint_path, kLocalReservedIds, kCheckpointSeconds);
  SendQueue sends;
  long sent = 0, received = 0, shared_out = 0;
  double busy = 0;
  auto drain = [&] {
    // Others' progress reports first: they go into this rank's stopper's tables.
    MPI_Status status;
    std::vector<char> bytes;
    while (stopper && try_receive(comm, kTagProgress, status, bytes)) {
      Reader r(bytes);
      const ProgressReport report = read_report(r);
      stopper->observe(report.trial_id, report.budget, report.value);
      ++received;
    }
    while (try_receive(comm, kTagShare, status, bytes)) {
      Reader r(bytes);
      double unused = 0;
      Result result = read_outcome(r, &unused);
      Observation o;
      static_cast<search::Outcome&>(o) = result;
      o.id = result.trial_id;
      o.timestamp_start = result.timestamp_start, o.timestamp_end = result.timestamp_end;
      o.config = read_values(r, s.space());
      s.warm_start({o});
      ++received;
      mine.max_evaluations += mine.max_evaluations > 0 ? 1 : 0;  // others' trials do not use my share
    }
  };
  while (true) {
    drain();
    if (!budget_left(s, mine, 0, start)) break;
    LocalProgress progress{stopper.get(), log ? &*log : nullptr, drain, [&](const ProgressReport& report) {
                             Writer w;
                             write_report(w, report);
                             for (int other = 0; other < size; ++other)
                               if (other != rank) sends.send(w.bytes(), other, kTagProgress, comm), ++sent;
                             ++shared_out;  // one message to every other rank, as each trial
                           }};
    LocalTrial local = run_local_trial(s, trial, options, rank, checkpoints, progress);
    busy += local.seconds;
    ++shared_out;
    Writer w;
    write_outcome(w, local.trial.id, local.outcome, local.result.timestamp_start, local.result.timestamp_end,
                  local.seconds);
    write_values(w, local.trial.config);
    for (int other = 0; other < size; ++other)
      if (other != rank) sends.send(w.bytes(), other, kTagShare, comm), ++sent;
    if (options.verbose) {
      char prefix[32];
      std::snprintf(prefix, sizeof prefix, "[rank %d] ", rank);
      print_progress(s, s.observations().back(), seconds_since(start), busy / std::max(1e-9, seconds_since(start)),
                     options.max_evaluations, prefix);
    }
  }
  const double wall = seconds_since(start);
  // Deliver everything still in flight: each rank expects exactly what the others sent it.
  std::vector<long> own_counts(size);
  MPI_Allgather(&shared_out, 1, MPI_LONG, own_counts.data(), 1, MPI_LONG, comm);
  long expected = 0;
  for (int r = 0; r < size; ++r) expected += r == rank ? 0 : own_counts[r];
  while (received < expected) {
    MPI_Status status;
    if (poll(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &status)) {  // results and progress reports
      (void)status;
      drain();
    }
  }
  sends.wait_all();
  checkpoints.write(s);
  double stats[2] = {busy, wall}, totals[2] = {0, 0};
  MPI_Allreduce(stats, totals, 2, MPI_DOUBLE, MPI_SUM, comm);
  // Rank 0 merges the per-rank tables into results.csv once every rank has flushed its own (on
  // the disk: rank 0 may be on another node of a network file system).
  out.table->flush();
  MPI_Barrier(comm);
  if (rank == 0)
    search::write_results((fs::path(options.output_dir) / "results.csv").string(), s.space(), options.metadata_keys,
                          s.observations());
  return summarize(s, out.resumed, seconds_since(start), totals[1] > 0 ? totals[0] / totals[1] : 0, size);
}
}  // namespace

SearchSummary run_search(search::Search& s, const TrialFunction& trial, const SchedulerOptions& given,
                         MPI_Comm comm) {
  check_budget(given);
  const SchedulerOptions options = with_stopper_columns(given);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (options.decentralized) return run_decentralized(s, trial, options, comm, rank, size);
  if (size == 1) return run_search(s, trial, options);
  StopNotice notice(options.output_dir, rank == 0, true);
  // Rank 0 holds the folder and runs the search; the workers learn whether it could open them.
  std::optional<OutputLock> lock;
  std::optional<Output> out;
  run_collectively(comm, [&] {
    if (rank != 0) return;
    lock.emplace(options.output_dir);
    out.emplace(options, "");
    prepare_output(*out, s.space(), options);
    open_output(*out, s, options);
  });
  if (rank == 0) return run_master(s, options, comm, size, *out);
  run_worker(s.space(), trial, options, comm, rank);
  return summarize(s, 0, 0, 0, size);
}
#endif

}  // namespace kyper
