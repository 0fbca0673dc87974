#include <kyper/command_trial.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <kyper/atomic_file.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/node_local.hpp>
#include <kyper/text.hpp>

#include "process.hpp"

extern char** environ;

namespace kyper {

namespace fs = std::filesystem;
namespace rj = json::rj;

namespace {

const std::vector<std::string>& builtin_names() {
  static const std::vector<std::string> names = {"trial_id", "trial_dir", "job_dir", "config_file",
                                                 "rank",     "local_rank", "device"};
  return names;
}
bool is_builtin(const std::string& name) {
  return std::find(builtin_names().begin(), builtin_names().end(), name) != builtin_names().end();
}

// Launcher variables of this rank's own MPI job: a command must not take them for its own (an MPI
// program started alone, or a nested mpiexec, would try to join Kyper's job).
bool is_launcher_variable(const std::string& entry) {
  static const char* prefixes[] = {"OMPI_COMM_WORLD_", "OMPI_UNIVERSE_SIZE=", "OMPI_FIRST_RANKS=", "OMPI_APP_CTX_",
                                   "OMPI_NUM_APP_CTX=", "OMPI_FILE_LOCATION=", "OMPI_COMMAND=", "OMPI_ARGV=",
                                   "OMPI_MCA_ess", "OMPI_MCA_orte_", "OMPI_MCA_pmix", "OMPI_MCA_initial_wdir=",
                                   "OMPI_MCA_shmem_RUNTIME_QUERY_hint=", "PMIX_", "PMI_", "MPI_LOCALRANKID=",
                                   "MPI_LOCALNRANKS="};
  for (const char* prefix : prefixes)
    if (entry.rfind(prefix, 0) == 0) return true;
  return false;
}

std::string shortest(double x) {
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, r.ptr);
}

bool integral(double x) { return std::isfinite(x) && x == std::floor(x) && std::abs(x) < 9.0e15; }

// One line of a reason: no line breaks, at most `limit` characters.
std::string one_line(std::string text, std::size_t limit = 200) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  text.erase(0, text.find_first_not_of(' '));
  text.erase(text.find_last_not_of(' ') + 1);
  if (text.size() > limit) text = text.substr(0, limit) + "...";
  return text;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\f\v");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\f\v") - first + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The last line of `text` with something on it.
std::string last_line(const std::string& text) {
  const auto lines = lines_of(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (!trim(*it).empty()) return trim(*it);
  return "";
}

std::optional<double> parse_number(const std::string& text) {
  std::string t = trim(text);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  if (t.empty()) return std::nullopt;
  double x = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), x);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return x;
}

std::string json_value_text(const rj::Value& v) {
  if (v.IsString()) return v.GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsNumber()) return shortest(v.GetDouble());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return json::to_text(v);
}

// Substitutes the placeholders of `text`; nullopt when one names an inactive parameter.
std::optional<std::string> substitute(const std::string& text, const std::map<std::string, std::string>& builtins,
                                      const std::map<std::string, const search::Parameter*>& parameters,
                                      const search::Configuration& config) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c, ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const std::size_t close = text.find('}', i);
    const std::string name = text.substr(i + 1, close - i - 1);
    i = close;
    auto parameter = parameters.find(name);
    if (parameter != parameters.end()) {
      const search::Value& value = config[name];
      if (!search::is_active(value)) return std::nullopt;
      out += format_parameter(*parameter->second, value);
    } else {
      auto builtin = builtins.find(name);
      KYPER_REQUIRE(builtin != builtins.end(), "placeholder {" << name << "} names no parameter");
      out += builtin->second;
    }
  }
  return out;
}

std::string describe_exit(const process::Result& r) {
  if (r.stopped) return r.killed ? "stopped early (SIGTERM, then SIGKILL)" : "stopped early (SIGTERM)";
  if (r.timed_out) return r.killed ? "timeout (SIGTERM, then SIGKILL)" : "timeout (SIGTERM)";
  if (r.signal) return process::signal_name(r.signal);
  return r.exit_code == 0 ? "0" : "status " + std::to_string(r.exit_code);
}

// "; stderr: <its last line> (trials/7/stderr.txt)", or "" without stderr.
std::string stderr_hint(const process::Result& r, const std::string& trial_dir, const std::string& output_dir) {
  const std::string line = last_line(r.stderr_tail);
  if (line.empty()) return "";
  std::error_code ec;
  std::string file = fs::relative(fs::path(trial_dir) / "stderr.txt", fs::absolute(output_dir), ec).string();
  if (ec || file.empty()) file = (fs::path(trial_dir) / "stderr.txt").string();
  return "; stderr: " + one_line(line) + " (" + file + ")";
}

struct Prepared {
  CommandObjective objective;
  search::Space space;
  std::string program;  // resolved once when the first word has no placeholder
};

}  // namespace

std::vector<std::string> command_placeholders(const std::string& text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      ++i;
      continue;
    }
    KYPER_REQUIRE(c != '}', "'" << text << "' has a '}' without '{' (write }} for a brace)");
    if (c != '{') continue;
    const std::size_t close = text.find_first_of("{}", i + 1);
    KYPER_REQUIRE(close != std::string::npos && text[close] == '}',
                  "'" << text << "' has a '{' without '}' (write {{ for a brace)");
    KYPER_REQUIRE(close > i + 1, "'" << text << "' has an empty placeholder {}");
    names.push_back(text.substr(i + 1, close - i - 1));
    i = close;
  }
  return names;
}

std::string format_parameter(const search::Parameter& parameter, const search::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  const double x = std::get<double>(value);
  if (parameter.type == search::ParameterType::Int || (parameter.type != search::ParameterType::Float && integral(x)))
    return std::to_string(std::int64_t(std::llround(x)));
  return shortest(x);
}

std::string configuration_json(const search::Space& space, const search::Configuration& config) {
  rj::StringBuffer buffer;
  rj::Writer<rj::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& p : space.parameters()) {
    const search::Value& v = config[p.name];
    if (!search::is_active(v)) continue;
    w.Key(p.name.c_str());
    if (const auto* text = std::get_if<std::string>(&v)) {
      w.String(text->c_str());
    } else {
      const double x = std::get<double>(v);
      if (p.type == search::ParameterType::Int || (p.type != search::ParameterType::Float && integral(x)))
        w.Int64(std::llround(x));
      else
        w.Double(x);
    }
  }
  w.EndObject();
  return buffer.GetString();
}

void check_command_objective(const CommandObjective& o, const search::Space& space, const ObjectiveKeyName& key_name) {
  const ObjectiveKeyName key = key_name ? key_name : [](const std::string& k) { return "command objective: '" + k + "'"; };
  KYPER_REQUIRE(!o.command.empty(), key("command") << " is empty: it needs at least the program to run");
  std::vector<std::string> known;
  for (const auto& p : space.parameters()) {
    KYPER_REQUIRE(!is_builtin(p.name), "space parameter '" << p.name << "' has the name of a built-in placeholder of "
                                                           << key("command") << " (" << join(builtin_names())
                                                           << "); rename it");
    known.push_back(p.name);
  }
  known.insert(known.end(), builtin_names().begin(), builtin_names().end());
  auto check_text = [&](const std::string& text, const std::string& where) {
    std::vector<std::string> names;
    try {
      names = command_placeholders(text);
    } catch (const Error& e) {
      KYPER_FAIL(key(where) << ": " << e.what());
    }
    for (const auto& name : names) {
      KYPER_REQUIRE(std::find(known.begin(), known.end(), name) != known.end(),
                    key(where) << " names no parameter '" << name << "'" << did_you_mean(name, known));
      KYPER_REQUIRE(name != "config_file" || o.config != CommandObjective::ConfigInput::None,
                    key(where) << " uses {config_file}: set the objective's config to file or stdin");
    }
    return !names.empty();
  };
  for (std::size_t i = 0; i < o.command.size(); ++i) {
    const std::string where = "command[" + std::to_string(i) + "]";
    const bool placeholders = check_text(o.command[i], where);
    if (i == 0 && !placeholders) {
      KYPER_REQUIRE(!o.command[0].empty(), key(where) << " is empty: it names the program to run");
      try {
        process::find_program(o.command[0], o.job_dir);
      } catch (const Error& e) {
        KYPER_FAIL(key(where) << ": " << e.what());
      }
    }
  }
  for (const auto& [name, value] : o.environment) {
    KYPER_REQUIRE(!name.empty() && name.find('=') == std::string::npos && name.find('\0') == std::string::npos,
                  key("env") << " has a variable name that cannot be set: '" << name << "'");
    check_text(value, "env." + name);
  }
  KYPER_REQUIRE(o.metadata_fields.empty() || !o.objective_field.empty(),
                key("metadata") << " needs a field: metadata come from the JSON line that holds the objective");
  for (std::size_t i = 0; i < o.metadata_fields.size(); ++i)
    KYPER_REQUIRE(o.metadata_fields[i] != "exit" && o.metadata_fields[i] != "leftover_processes" &&
                      o.metadata_fields[i] != o.objective_field,
                  key("metadata[" + std::to_string(i) + "]") << ": '" << o.metadata_fields[i]
                                                             << "' is the objective or a column Kyper writes itself");
  KYPER_REQUIRE(o.grace_seconds >= 0, key("grace_seconds") << " must not be negative");
  KYPER_REQUIRE(o.output_limit > 0, key("output_limit") << " must be positive");
  KYPER_REQUIRE(o.devices >= 0, key("devices") << " must not be negative");
  KYPER_REQUIRE(!o.gpu_per_rank || o.devices > 0 || !node_gpus().empty(),
                key("gpu_per_rank") << ": this node shows no GPU (no CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, "
                                       "/dev/nvidia<N> or AMD GPU); give the GPUs per node in 'devices'");
}

std::string command_trial_dir(const TrialContext& context) {
  return fs::absolute(fs::path(context.output_dir) / "trials" / std::to_string(context.trial_id)).lexically_normal().string();
}

CommandLine render_command(const CommandObjective& o, const search::Space& space, const search::Configuration& config,
                           const TrialContext& context) {
  std::map<std::string, const search::Parameter*> parameters;
  for (const auto& p : space.parameters()) parameters[p.name] = &p;
  const std::string dir = command_trial_dir(context);
  const int gpus = o.devices > 0 ? o.devices : int(node_gpus().size());
  const int device = node_device(context.local_rank, gpus);
  std::map<std::string, std::string> builtins = {
      {"trial_id", std::to_string(context.trial_id)},
      {"trial_dir", dir},
      {"job_dir", fs::absolute(o.job_dir).lexically_normal().string()},
      {"config_file", (fs::path(dir) / "config.json").string()},
      {"rank", std::to_string(context.rank)},
      {"local_rank", std::to_string(context.local_rank)},
      {"device", std::to_string(device)}};
  CommandLine line;
  for (const auto& argument : o.command)
    if (auto text = substitute(argument, builtins, parameters, config)) line.arguments.push_back(*text);
  KYPER_REQUIRE(!line.arguments.empty() && !o.command.empty() && substitute(o.command[0], builtins, parameters, config),
                "the program of the command names a parameter that is inactive in this configuration");
  auto& env = line.environment;
  env.emplace_back("KYPER_TRIAL_ID", builtins["trial_id"]);
  env.emplace_back("KYPER_TRIAL_DIR", dir);
  env.emplace_back("KYPER_RANK", builtins["rank"]);
  env.emplace_back("KYPER_LOCAL_RANK", builtins["local_rank"]);
  env.emplace_back("KYPER_DEVICE", builtins["device"]);
  if (o.config != CommandObjective::ConfigInput::None) env.emplace_back("KYPER_CONFIG_FILE", builtins["config_file"]);
  if (o.gpu_per_rank && device >= 0) {
    // The rank's GPU by the identifier this process sees it under, when the node shows that many.
    const auto& visible = node_gpus();
    const std::string id = int(visible.size()) >= gpus ? visible[std::size_t(device)] : std::to_string(device);
    env.emplace_back("CUDA_VISIBLE_DEVICES", id);
    env.emplace_back("HIP_VISIBLE_DEVICES", id);
  }
  for (const auto& [name, value] : o.environment)
    if (auto text = substitute(value, builtins, parameters, config)) env.emplace_back(name, *text);
  return line;
}

TrialOutcome read_command_output(const std::string& output, const CommandObjective& o) {
  const auto lines = lines_of(output);
  if (o.objective_field.empty()) {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
      if (auto x = parse_number(*it)) return TrialOutcome::success(*x);
    const std::string last = last_line(output);
    return TrialOutcome::failure("no objective: no line of the command's stdout is a number" +
                                 (last.empty() ? std::string(" (stdout is empty)") : " (last line: '" + one_line(last, 100) + "')"));
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string line = trim(*it);
    if (line.empty() || line.front() != '{') continue;
    rj::Document doc;
    doc.Parse<rj::kParseNanAndInfFlag>(line.c_str(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) continue;
    auto field = doc.FindMember(o.objective_field.c_str());
    if (field == doc.MemberEnd()) continue;
    TrialOutcome outcome;
    if (field->value.IsNumber()) {
      outcome = TrialOutcome::success(field->value.GetDouble());
    } else {
      outcome = TrialOutcome::failure("no objective: field '" + o.objective_field + "' of the command's last JSON line is not a number (" +
                                      one_line(json::to_text(field->value), 100) + ")");
    }
    for (const auto& name : o.metadata_fields) {
      auto m = doc.FindMember(name.c_str());
      if (m != doc.MemberEnd()) outcome.metadata[name] = one_line(json_value_text(m->value), 1000);
    }
    return outcome;
  }
  const std::string last = last_line(output);
  return TrialOutcome::failure("no objective: no line of the command's stdout is a JSON object with field '" +
                               o.objective_field + "'" +
                               (last.empty() ? std::string(" (stdout is empty)") : " (last line: '" + one_line(last, 100) + "')"));
}

namespace {

// The progress lines of one command ("kyper-progress BUDGET VALUE"), reported to the trial's
// context as they arrive. Malformed lines and budgets that do not increase are counted, not
// reported (a stopper needs increasing budgets).
struct ProgressLines {
  double last_budget = -std::numeric_limits<double>::infinity();
  double last_value = std::numeric_limits<double>::quiet_NaN();
  long ignored = 0;
  std::string error;  // a report the scheduler refused (thrown again after the run)

  bool take(const std::string& line, const TrialContext& context) {
    static const std::string kPrefix = "kyper-progress ";
    if (line.compare(0, kPrefix.size(), kPrefix) != 0) return false;
    std::istringstream fields(line.substr(kPrefix.size()));
    std::string budget_text, value_text, extra;
    fields >> budget_text >> value_text;
    const auto budget = parse_number(budget_text), value = parse_number(value_text);
    if (!budget || !value || (fields >> extra) || !std::isfinite(*budget) || !std::isfinite(*value) ||
        *budget <= last_budget) {
      ++ignored;
      return false;
    }
    last_budget = *budget, last_value = *value;
    try {
      return context.report(*budget, *value);
    } catch (const std::exception& e) {
      error = e.what();
      return true;
    }
  }
};

}  // namespace

TrialFunction make_command_trial(CommandObjective objective, const search::Space& space) {
  check_command_objective(objective, space);
  auto prepared = std::make_shared<Prepared>();
  prepared->objective = std::move(objective);
  prepared->space = space;
  const auto& command = prepared->objective.command;
  if (command_placeholders(command[0]).empty())
    prepared->program = process::find_program(command[0], prepared->objective.job_dir);

  return [prepared](const search::Configuration& config, const TrialContext& context) -> TrialOutcome {
    const CommandObjective& o = prepared->objective;
    const std::string dir = command_trial_dir(context);
    std::error_code ec;
    fs::remove_all(dir, ec);  // a trial id is never reused; this is a leftover of a killed run
    fs::create_directories(dir, ec);
    KYPER_REQUIRE(!ec, "cannot create the trial folder " << dir << ": " << ec.message());
    CommandLine line;
    std::string program = prepared->program;
    try {
      line = render_command(o, prepared->space, config, context);
      if (program.empty()) program = process::find_program(line.arguments[0], o.job_dir);
    } catch (const Error& e) {
      return TrialOutcome::failure(std::string("cannot run the command: ") + e.what());
    }
    const std::string config_file = (fs::path(dir) / "config.json").string();
    if (o.config != CommandObjective::ConfigInput::None)
      write_file_atomically(config_file, configuration_json(prepared->space, config) + "\n", "trial configuration");

    process::Request request;
    request.program = program;
    request.arguments = line.arguments;
    std::set<std::string> replaced;
    for (const auto& [name, value] : line.environment) replaced.insert(name);
    for (char** e = environ; e && *e; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      if (!replaced.count(name) && !is_launcher_variable(entry)) request.environment.push_back(entry);
    }
    for (const auto& [name, value] : line.environment) request.environment.push_back(name + "=" + value);
    request.working_dir = dir;
    if (o.config == CommandObjective::ConfigInput::Stdin) request.stdin_path = config_file;
    request.stdout_path = (fs::path(dir) / "stdout.txt").string();
    request.stderr_path = (fs::path(dir) / "stderr.txt").string();
    if (context.timeout_seconds > 0)
      request.deadline = context.start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(context.timeout_seconds));
    request.grace_seconds = o.grace_seconds;
    request.output_limit = o.output_limit;
    // Progress lines go to the stopper as they come; when it says stop, the command is stopped and
    // its last reported value is the trial's objective.
    ProgressLines progress;
    request.on_stdout_line = [&progress, &context](const std::string& text) { return progress.take(text, context); };

    const process::Result r = process::run(request);
    if (!progress.error.empty()) throw Error(progress.error);  // the scheduler's, not the command's
    if (!r.started) return TrialOutcome::failure(r.error);
    TrialOutcome outcome;
    if (r.stopped) {
      outcome = TrialOutcome::success(progress.last_value);
    } else if (r.timed_out) {
      outcome = TrialOutcome::failure("timeout: the command ran past " + shortest(context.timeout_seconds) +
                                      " s; its process group was sent SIGTERM" +
                                      (r.killed ? ", then SIGKILL " + shortest(o.grace_seconds) + " s later" : ""));
    } else if (r.signal) {
      outcome = TrialOutcome::failure("the command was killed by " + process::signal_name(r.signal) +
                                      stderr_hint(r, dir, context.output_dir));
    } else if (r.exit_code != 0) {
      outcome = TrialOutcome::failure("the command exited with status " + std::to_string(r.exit_code) +
                                      stderr_hint(r, dir, context.output_dir));
    } else {
      outcome = read_command_output(r.stdout_tail, o);
      if (outcome.failed()) outcome.reason += stderr_hint(r, dir, context.output_dir);
    }
    outcome.metadata["exit"] = describe_exit(r);
    if (r.leftover) outcome.metadata["leftover_processes"] = "killed";
    if (progress.ignored) outcome.metadata["ignored_progress_lines"] = std::to_string(progress.ignored);
    return outcome;
  };
}

}  // namespace kyper
