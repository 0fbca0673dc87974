// Command trials: placeholders and value formats, reading the objective from the output, bad
// objectives named by key, and every way a command can fail (exit status, signal, no objective,
// a program that cannot run, gigabytes of output, the timeout on a process tree with a child that
// ignores SIGTERM, children left behind).
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <support/error_of.hpp>
#include <kyper/command_trial.hpp>
#include <kyper/error.hpp>
#include <kyper/search/space.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace kyper;
using kyper::testing::error_of;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

search::Space test_space() {
  search::Space space;
  space.add(search::Parameter::real("lr0", 1e-5, 1.0, true));
  space.add(search::Parameter::integer("units", 1, 1 << 20));
  space.add(search::Parameter::categorical("act", {std::string("relu"), std::string("tanh")}));
  space.add(search::Parameter::ordinal("width", {0.5, 2.0, 8.0}));
  space.add(search::Parameter::real("momentum", 0, 0.99));
  space.add_condition("momentum", "act", {std::string("tanh")});
  return space;
}

search::Configuration config_of(const search::Space& space, double lr, double units, const std::string& act, double width,
                                double momentum = 0.5) {
  search::Configuration c = space.default_configuration();
  c.set("lr0", lr), c.set("units", units), c.set("act", act), c.set("width", width);
  c.set("momentum", act == "tanh" ? search::Value(momentum) : search::Value());
  return c;
}

std::string work_dir() {
  static const std::string dir = [] {
    const fs::path d = fs::temp_directory_path() / ("kyper_command_trial_" + std::to_string(getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d.string();
  }();
  return dir;
}

TrialContext context_for(std::int64_t id, double timeout = 0) {
  TrialContext c;
  c.trial_id = id, c.output_dir = work_dir(), c.timeout_seconds = timeout;
  c.start = std::chrono::steady_clock::now();
  return c;
}


// Runs `script` with sh -c as a trial and returns its guarded outcome.
TrialOutcome run_script(const std::string& script, std::int64_t id, double timeout = 0, CommandObjective o = {}) {
  const search::Space space = test_space();
  o.command = {"sh", "-c", script};
  if (o.grace_seconds == CommandObjective().grace_seconds) o.grace_seconds = 0.5;
  const TrialFunction trial = make_command_trial(o, space);
  return run_trial_guarded(trial, config_of(space, 0.001, 64, "relu", 2), context_for(id, timeout));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool process_alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

std::vector<pid_t> read_pids(const fs::path& file) {
  std::vector<pid_t> pids;
  std::ifstream in(file);
  long pid;
  while (in >> pid) pids.push_back(pid_t(pid));
  return pids;
}

}  // namespace

TEST(CommandTrial, PlaceholdersAreParsedWithEscapedBraces) {
  EXPECT_THAT(command_placeholders("--lr={lr0} --u={units}"), ::testing::ElementsAre("lr0", "units"));
  EXPECT_THAT(command_placeholders("{{literal}} {act}"), ::testing::ElementsAre("act"));
  EXPECT_TRUE(command_placeholders("plain").empty());
  EXPECT_THAT(error_of([] { command_placeholders("--lr={lr0"); }), HasSubstr("has a '{' without '}'"));
  EXPECT_THAT(error_of([] { command_placeholders("a}b"); }), HasSubstr("has a '}' without '{'"));
  EXPECT_THAT(error_of([] { command_placeholders("x={}"); }), HasSubstr("empty placeholder"));
}

TEST(CommandTrial, ValuesAreFormattedExactlyAndIntsAsInts) {
  const search::Space space = test_space();
  const auto& p = space.parameters();
  EXPECT_EQ(format_parameter(p[0], 0.1), "0.1");
  EXPECT_EQ(format_parameter(p[0], 1e-5), "1e-05");
  EXPECT_EQ(format_parameter(p[0], 0.30000000000000004), "0.30000000000000004");  // round-trips, never %g's 0.3
  EXPECT_EQ(format_parameter(p[1], 64.0), "64");
  EXPECT_EQ(format_parameter(p[1], 1048576.0), "1048576");  // never 1.04858e+06
  EXPECT_EQ(format_parameter(p[2], std::string("tanh")), "tanh");
  EXPECT_EQ(format_parameter(p[3], 2.0), "2");
  EXPECT_EQ(format_parameter(p[3], 0.5), "0.5");
  EXPECT_EQ(configuration_json(space, config_of(space, 0.25, 1048576, "relu", 8)),
            R"({"lr0":0.25,"units":1048576,"act":"relu","width":8})");  // the inactive momentum is left out
}

TEST(CommandTrial, RenderingSubstitutesDropsInactiveArgumentsAndExportsTheRank) {
  const search::Space space = test_space();
  CommandObjective o;
  o.command = {"prog", "--lr={lr0}", "--units={units}", "--momentum={momentum}", "{{{act}}}", "{trial_id}@{rank}"};
  o.environment = {{"MY_LR", "{lr0}"}, {"MY_MOMENTUM", "{momentum}"}};
  o.devices = 4, o.gpu_per_rank = true;
  TrialContext c = context_for(7);
  c.rank = 5, c.local_rank = 6;
  const CommandLine relu = render_command(o, space, config_of(space, 0.001, 32, "relu", 2), c);
  EXPECT_THAT(relu.arguments, ::testing::ElementsAre("prog", "--lr=0.001", "--units=32", "{relu}", "7@5"));
  const CommandLine tanh = render_command(o, space, config_of(space, 0.001, 32, "tanh", 2, 0.9), c);
  EXPECT_THAT(tanh.arguments, ::testing::Contains("--momentum=0.9"));
  std::map<std::string, std::string> env(relu.environment.begin(), relu.environment.end());
  EXPECT_EQ(env["KYPER_TRIAL_ID"], "7");
  EXPECT_EQ(env["KYPER_RANK"], "5");
  EXPECT_EQ(env["KYPER_LOCAL_RANK"], "6");
  EXPECT_EQ(env["KYPER_DEVICE"], "2");  // 6 mod 4
  if (!getenv("CUDA_VISIBLE_DEVICES") && !getenv("HIP_VISIBLE_DEVICES") && !getenv("ROCR_VISIBLE_DEVICES")) {
    EXPECT_EQ(env["CUDA_VISIBLE_DEVICES"], "2");
  }
  EXPECT_EQ(env["HIP_VISIBLE_DEVICES"], env["CUDA_VISIBLE_DEVICES"]);
  EXPECT_EQ(env["MY_LR"], "0.001");
  EXPECT_EQ(env.count("MY_MOMENTUM"), 0u);  // inactive: not set
  EXPECT_EQ(env["KYPER_TRIAL_DIR"], (fs::path(work_dir()) / "trials" / "7").string());
}

TEST(CommandTrial, BadObjectivesNameTheKey) {
  const search::Space space = test_space();
  auto key = [](const std::string& k) { return "job.json: key 'objective." + k + "'"; };
  auto check = [&](CommandObjective o) { return error_of([&] { check_command_objective(o, space, key); }); };
  CommandObjective o;
  o.command = {"sh", "-c", "echo {lr}"};
  EXPECT_EQ(check(o), "job.json: key 'objective.command[2]' names no parameter 'lr' (did you mean 'lr0'?)");
  o.command = {};
  EXPECT_THAT(check(o), HasSubstr("key 'objective.command' is empty"));
  o.command = {"no-such-program-kyper"};
  EXPECT_EQ(check(o), "job.json: key 'objective.command[0]': program 'no-such-program-kyper' not found on PATH");
  const fs::path plain = fs::path(work_dir()) / "not_executable.sh";
  std::ofstream(plain) << "echo 1\n";
  o.command = {plain.string()};
  EXPECT_THAT(check(o), HasSubstr("is not executable"));
  o.command = {"./missing.sh"};
  o.job_dir = work_dir();
  EXPECT_THAT(check(o), HasSubstr("key 'objective.command[0]': program './missing.sh' does not exist"));
  o.command = {"sh", "{config_file}"};
  EXPECT_THAT(check(o), HasSubstr("uses {config_file}: set the objective's config"));
  o.command = {"sh"};
  o.metadata_fields = {"time"};
  EXPECT_THAT(check(o), HasSubstr("key 'objective.metadata' needs a field"));
  o.metadata_fields = {};
  o.environment = {{"X", "{unit}"}};
  EXPECT_EQ(check(o), "job.json: key 'objective.env.X' names no parameter 'unit' (did you mean 'units'?)");
  o.environment = {};
  search::Space reserved = test_space();
  reserved.add(search::Parameter::integer("rank", 0, 3));
  EXPECT_THAT(error_of([&] { check_command_objective(o, reserved, key); }), HasSubstr("'rank' has the name of a built-in"));
}

TEST(CommandTrial, ObjectiveIsTheLastNumberOrAJsonField) {
  CommandObjective numbers;
  EXPECT_EQ(*read_command_output("epoch 1\n0.5\nloss 0.2\n 0.25 \ndone\n", numbers).objective, 0.25);
  EXPECT_EQ(*read_command_output("1e-3\r\n", numbers).objective, 1e-3);
  EXPECT_THAT(read_command_output("accuracy: 0.9\n", numbers).reason,
              HasSubstr("no line of the command's stdout is a number (last line: 'accuracy: 0.9')"));
  EXPECT_THAT(read_command_output("", numbers).reason, HasSubstr("stdout is empty"));
  CommandObjective json;
  json.objective_field = "score", json.metadata_fields = {"time", "note"};
  const TrialOutcome o = read_command_output(
      "{\"score\": 1}\n{\"score\": 2.5, \"time\": 3, \"note\": \"ok\"}\n{\"other\": 1}\nnot json\n", json);
  EXPECT_EQ(*o.objective, 2.5);
  EXPECT_EQ(o.metadata.at("time"), "3");
  EXPECT_EQ(o.metadata.at("note"), "ok");
  EXPECT_THAT(read_command_output("{\"score\": \"high\"}\n", json).reason, HasSubstr("field 'score'"));
  EXPECT_THAT(read_command_output("{\"loss\": 1}\n", json).reason, HasSubstr("JSON object with field 'score'"));
}

TEST(CommandTrial, SuccessReadsTheConfigurationFromAFileOrStdin) {
  CommandObjective file;
  file.config = CommandObjective::ConfigInput::File;
  TrialOutcome o = run_script("test -f \"$KYPER_CONFIG_FILE\" && grep -q '\"units\":64' config.json && echo 4.5", 1, 0, file);
  ASSERT_FALSE(o.failed()) << o.reason;
  EXPECT_EQ(*o.objective, 4.5);
  EXPECT_EQ(o.metadata.at("exit"), "0");
  CommandObjective in;
  in.config = CommandObjective::ConfigInput::Stdin;
  in.objective_field = "units";
  o = run_script("cat", 2, 0, in);  // echoes the configuration: its units field is the objective
  ASSERT_FALSE(o.failed()) << o.reason;
  EXPECT_EQ(*o.objective, 64);
  // The trial ran in its own folder, which keeps its output.
  EXPECT_THAT(read_text(fs::path(work_dir()) / "trials" / "2" / "stdout.txt"), HasSubstr("\"units\":64"));
}

TEST(CommandTrial, FailuresSayWhyAndKeepStderr) {
  TrialOutcome o = run_script("echo 1.0; echo first >&2; echo 'boom: bad input' >&2; exit 3", 10);
  EXPECT_TRUE(o.failed());
  EXPECT_THAT(o.reason, HasSubstr("the command exited with status 3; stderr: boom: bad input (trials/10/stderr.txt)"));
  EXPECT_EQ(o.metadata.at("exit"), "status 3");
  EXPECT_EQ(read_text(fs::path(work_dir()) / "trials" / "10" / "stderr.txt"), "first\nboom: bad input\n");

  o = run_script("kill -SEGV $$", 11);
  EXPECT_THAT(o.reason, HasSubstr("the command was killed by SIGSEGV"));
  o = run_script("echo not-a-number", 12);
  EXPECT_THAT(o.reason, HasSubstr("no objective"));
  o = run_script("echo nan", 13);
  EXPECT_THAT(o.reason, HasSubstr("non-finite objective"));

  // A program named by a placeholder is looked up per trial.
  search::Space space = test_space();
  CommandObjective missing;
  missing.command = {"{act}"};
  o = run_trial_guarded(make_command_trial(missing, space), config_of(space, 0.1, 1, "relu", 2), context_for(14));
  EXPECT_THAT(o.reason, HasSubstr("cannot run the command: program 'relu' not found on PATH"));
}

TEST(CommandTrial, OutputIsCapturedWithinBounds) {
  CommandObjective o;
  o.output_limit = 4096;
  // 20 MB on stdout and on stderr, then the objective: the search sees the objective, the folder keeps
  // 4 KiB of each stream plus its tail.
  const TrialOutcome outcome =
      run_script("head -c 20000000 /dev/zero | tr '\\0' x; head -c 20000000 /dev/zero >&2; echo; echo 2.5", 20, 0, o);
  ASSERT_FALSE(outcome.failed()) << outcome.reason;
  EXPECT_EQ(*outcome.objective, 2.5);
  const fs::path dir = fs::path(work_dir()) / "trials" / "20";
  EXPECT_LT(fs::file_size(dir / "stdout.txt"), 1u << 20);
  EXPECT_LT(fs::file_size(dir / "stderr.txt"), 1u << 20);
  const std::string out = read_text(dir / "stdout.txt");
  EXPECT_THAT(out, HasSubstr("bytes of output not kept"));
  EXPECT_EQ(out.substr(out.size() - 4), "2.5\n");
}

TEST(CommandTrial, TimeoutKillsTheWholeProcessTreeEvenWhatIgnoresSigterm) {
  // The command starts a child that ignores SIGTERM and a grandchild, then waits; all three must be
  // gone when the trial returns, a little after timeout + grace.
  const std::string script =
      "sh -c 'trap \"\" TERM; echo $$ >> pids; sleep 1000 & echo $! >> pids; wait' & "
      "echo $$ >> pids; while [ $(wc -l < pids) -lt 3 ]; do sleep 0.05; done; echo ready >&2; sleep 1000";
  const auto start = std::chrono::steady_clock::now();
  CommandObjective o;
  o.grace_seconds = 1;
  const TrialOutcome outcome = run_script(script, 30, 3, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(outcome.failed());
  EXPECT_THAT(outcome.reason, HasSubstr("timeout"));
  EXPECT_EQ(outcome.metadata.at("exit"), "timeout (SIGTERM, then SIGKILL)");
  EXPECT_LT(seconds, 60);  // far from the 1000 s the processes would sleep
  const auto pids = read_pids(fs::path(work_dir()) / "trials" / "30" / "pids");
  ASSERT_EQ(pids.size(), 3u) << "the command did not start its children in time";
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << "process " << pid << " survived the timeout";
}

TEST(CommandTrial, ChildrenLeftBehindAreKilledAndTheResultKept) {
  // One child stays in the group; one leaves it with setsid (the supervisor, a subreaper, finds it).
  const std::string script =
      "sleep 1000 & echo $! > pids; setsid sh -c 'echo $$ >> pids; exec sleep 1000' & "
      "while [ $(wc -l < pids) -lt 2 ]; do sleep 0.05; done; echo 7";
  const TrialOutcome outcome = run_script(script, 40);
  ASSERT_FALSE(outcome.failed()) << outcome.reason;
  EXPECT_EQ(*outcome.objective, 7);
  EXPECT_EQ(outcome.metadata.at("leftover_processes"), "killed");
  const auto pids = read_pids(fs::path(work_dir()) / "trials" / "40" / "pids");
  ASSERT_EQ(pids.size(), 2u);
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << "left-behind process " << pid << " still runs";
}

namespace {
// Runs `script` as a trial whose progress reports go to `reporter`; the seconds it took.
TrialOutcome run_with_reporter(const std::string& script, std::int64_t id,
                               std::function<bool(double, double)> reporter, double& seconds) {
  const search::Space space = test_space();
  CommandObjective o;
  o.command = {"sh", "-c", script};
  o.grace_seconds = 0.5;
  TrialContext context = context_for(id);
  context.reporter = std::move(reporter);
  const auto start = std::chrono::steady_clock::now();
  const TrialOutcome outcome =
      run_trial_guarded(make_command_trial(o, space), config_of(space, 0.001, 64, "relu", 2), context);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}
}  // namespace

TEST(CommandTrial, ProgressLinesReachTheStopperAndItsStopEndsTheCommand) {
  std::vector<std::pair<double, double>> reports;
  double seconds = 0;
  // A repeated budget and a malformed line are ignored (and counted); the stop at budget 3 ends a
  // command that would otherwise sleep 1000 s.
  const TrialOutcome outcome = run_with_reporter(
      "echo 'kyper-progress 1 0.1'; echo 'kyper-progress 1 0.5'; echo 'kyper-progress two 0.2'; "
      "echo 'kyper-progress 2 0.2'; echo 'kyper-progress 3 0.3'; sleep 1000; echo 9",
      50, [&](double b, double v) { reports.emplace_back(b, v); return b >= 3; }, seconds);
  ASSERT_FALSE(outcome.failed()) << outcome.reason;
  EXPECT_EQ(*outcome.objective, 0.3);  // the last reported value
  EXPECT_EQ(reports, (std::vector<std::pair<double, double>>{{1, 0.1}, {2, 0.2}, {3, 0.3}}));
  EXPECT_THAT(outcome.metadata.at("exit"), HasSubstr("stopped early (SIGTERM"));
  EXPECT_EQ(outcome.metadata.at("ignored_progress_lines"), "2");
  EXPECT_LT(seconds, 60);
}

TEST(CommandTrial, ProgressWithoutAStopKeepsTheFinalObjective) {
  int reports = 0;
  double seconds = 0;
  const TrialOutcome outcome = run_with_reporter(
      "for i in 1 2 3 4; do echo \"kyper-progress $i 0.$i\"; done; echo 0.75", 51,
      [&](double, double) { ++reports; return false; }, seconds);
  ASSERT_FALSE(outcome.failed()) << outcome.reason;
  EXPECT_EQ(*outcome.objective, 0.75);
  EXPECT_EQ(reports, 4);
  EXPECT_EQ(outcome.metadata.at("exit"), "0");
  EXPECT_EQ(outcome.metadata.count("ignored_progress_lines"), 0u);
}

TEST(CommandTrial, AReportTheSchedulerRefusesFailsTheTrialAndStopsTheCommand) {
  double seconds = 0;
  const TrialOutcome outcome = run_with_reporter(
      "echo 'kyper-progress 1 0.5'; sleep 1000; echo 1", 52,
      [](double, double) -> bool { throw Error("the master rank is gone"); }, seconds);
  ASSERT_TRUE(outcome.failed());
  EXPECT_THAT(outcome.reason, HasSubstr("the master rank is gone"));
  EXPECT_LT(seconds, 60);
}
