// A trial that runs a program: tune any code (a simulation's solver settings, a training script,
// an MPI program) by the number it prints. Each trial runs the command in its own folder
// <output>/trials/<id>/, under a supervisor process that enforces the timeout on the whole
// process group (SIGTERM, then SIGKILL after a grace period), kills what the command leaves
// behind, and kills the command when Kyper dies (even by kill -9). The job file's "objective"
// object describes one (README: "Tune any program").
//
//   CommandObjective o;
//   o.command = {"python3", "train.py", "--lr={lr}", "--units={units}"};
//   o.objective_field = "val_accuracy";            // the last JSON line of stdout with this field
//   kyper::run_search(search, kyper::make_command_trial(o, space), options);
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <kyper/search/space.hpp>
#include <kyper/trial.hpp>

namespace kyper {

struct CommandObjective {
  // The program and its arguments. "{name}" is the value of parameter `name` (ints as integers,
  // floats as the shortest text that reads back exactly, categorical values as they are); an
  // argument naming a parameter that is inactive in a configuration is left out. Also:
  // {trial_id}, {trial_dir}, {job_dir}, {config_file}, {rank}, {local_rank}, {device}. "{{" and
  // "}}" are literal braces. The program is searched on PATH when it has no '/', else taken
  // relative to job_dir.
  std::vector<std::string> command;
  // The configuration as one JSON object (inactive parameters left out): none, in
  // <trial_dir>/config.json ({config_file}, $KYPER_CONFIG_FILE), or that file on stdin.
  enum class ConfigInput { None, File, Stdin };
  ConfigInput config = ConfigInput::None;
  // Extra environment variables; values may hold placeholders (a variable whose value names an
  // inactive parameter is not set).
  std::vector<std::pair<std::string, std::string>> environment;
  // Empty: the objective is the last line of stdout that is a number. Else the field of that name
  // in the last line of stdout that is a JSON object holding it; `metadata_fields` of the same
  // line become results.csv columns m:<field>.
  std::string objective_field;
  std::vector<std::string> metadata_fields;
  std::string job_dir = ".";           // {job_dir}; a relative program path starts here
  double grace_seconds = 5;            // between SIGTERM and SIGKILL
  std::size_t output_limit = 1 << 20;  // bytes of stdout and of stderr kept in the trial folder
  // Each rank's commands see one GPU (CUDA_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES set to it).
  bool gpu_per_rank = false;
  int devices = 0;  // GPUs per node that KYPER_DEVICE counts over; 0: those the node shows
};

// Names a key of the objective for messages: key("command[2]") might give
// "job.json: key 'objective.command[2]'".
using ObjectiveKeyName = std::function<std::string(const std::string&)>;

// Checks an objective against the space: a command to run, every placeholder naming a parameter
// or a built-in name ("job.json: key 'objective.command[2]' names no parameter 'lr' (did you mean
// 'lr0'?)"), a program that exists and is executable (when the command's first word has no
// placeholder), metadata only with a field, GPUs for gpu_per_rank. Throws kyper::Error.
void check_command_objective(const CommandObjective& objective, const search::Space& space,
                             const ObjectiveKeyName& key = {});

// The names between braces in `text`, in order ("--lr={lr}" gives {"lr"}). Throws kyper::Error on an
// unclosed "{", a lone "}" or an empty name.
std::vector<std::string> command_placeholders(const std::string& text);

// One value as a command line shows it (see CommandObjective::command).
std::string format_parameter(const search::Parameter& parameter, const search::Value& value);

// {"lr": 0.001, "units": 64, "act": "relu"}: the active parameters, ints as JSON integers.
std::string configuration_json(const search::Space& space, const search::Configuration& config);

// What one trial runs: the argument vector, and the environment variables Kyper adds (KYPER_*,
// the GPU of one-GPU-per-rank, then the objective's own).
struct CommandLine {
  std::vector<std::string> arguments;
  std::vector<std::pair<std::string, std::string>> environment;
};
CommandLine render_command(const CommandObjective& objective, const search::Space& space,
                           const search::Configuration& config, const TrialContext& context);

// The objective (and metadata) in a command's standard output, or a failure saying why none is there.
TrialOutcome read_command_output(const std::string& output, const CommandObjective& objective);

// The trial's folder: <output_dir>/trials/<trial_id>, absolute.
std::string command_trial_dir(const TrialContext& context);

// Progress for multi-fidelity search (a job's "search.stopper"): a stdout line
//   kyper-progress BUDGET VALUE
// (the budget used so far, increasing; the objective at that point, in the final objective's
// units) goes to the stopper as it is printed. When the stopper says stop, the command's process
// group gets SIGTERM (SIGKILL after grace_seconds) and the trial ends with VALUE as its objective
// and "exit" = "stopped early". Malformed lines and budgets that do not increase are ignored and
// counted in the metadata "ignored_progress_lines".
//
// The trial function. Checks the objective first (check_command_objective). A trial fails, with
// its reason, on an exit status other than 0, a signal, the timeout, or output without an
// objective; stdout.txt and stderr.txt in its folder keep the first output_limit bytes of each
// stream and their tail. Metadata: "exit" (0, "status 3", "SIGSEGV", "timeout"), and
// "leftover_processes" when the command left processes running (they are killed).
TrialFunction make_command_trial(CommandObjective objective, const search::Space& space);

}  // namespace kyper
