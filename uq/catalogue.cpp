#include <kyper/uq/catalogue.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>

#include <kyper/csv.hpp>
#include <kyper/error.hpp>

namespace fs = std::filesystem;

namespace kyper::uq {

namespace {
const std::string kTruePrefix = "true:";

std::string models_folder(const std::string& output_dir) { return (fs::path(output_dir) / "models").string(); }

// Splits a predictions file into the model's columns (as Predictions) and the targets.
Predictions read_entry(const std::string& path, std::vector<std::string>& target_names, std::vector<float>& targets) {
  const Table table = read_csv(path);
  Predictions p;
  p.rows = long(table.rows());
  std::vector<size_t> prediction_cols, target_cols;
  for (size_t c = 0; c < table.cols(); ++c) {
    if (table.columns[c].rfind(kTruePrefix, 0) == 0) {
      target_cols.push_back(c);
      target_names.push_back(table.columns[c].substr(kTruePrefix.size()));
    } else {
      prediction_cols.push_back(c);
      p.columns.push_back(table.columns[c]);
    }
  }
  KYPER_REQUIRE(!target_cols.empty() && !prediction_cols.empty(),
                path << ": a catalogue predictions file needs prediction columns and '" << kTruePrefix
                     << "<target>' columns");
  for (size_t r = 0; r < table.rows(); ++r) {
    for (size_t c : prediction_cols) p.values.push_back(float(table.at(r, c)));
    for (size_t c : target_cols) targets.push_back(float(table.at(r, c)));
  }
  return p;
}
}  // namespace

std::string catalogue_model_path(const std::string& output_dir, std::int64_t trial_id) {
  return (fs::path(models_folder(output_dir)) / ("trial_" + std::to_string(trial_id) + ".kyper")).string();
}

std::string catalogue_predictions_path(const std::string& output_dir, std::int64_t trial_id) {
  return (fs::path(models_folder(output_dir)) / ("trial_" + std::to_string(trial_id) + ".validation.csv")).string();
}

void write_validation_predictions(const std::string& path, const Predictions& predictions, const Dataset& validation) {
  KYPER_REQUIRE(long(validation.rows()) == predictions.rows && validation.num_targets() > 0,
                "validation predictions for " << predictions.rows << " rows, but " << validation.rows()
                                              << " validation rows with " << validation.num_targets() << " targets");
  std::vector<std::string> columns = predictions.columns;
  for (const auto& t : validation.target_names) columns.push_back(kTruePrefix + t);
  const size_t pc = predictions.columns.size(), tc = validation.num_targets();
  std::vector<float> values;
  values.reserve(validation.rows() * (pc + tc));
  for (size_t r = 0; r < validation.rows(); ++r) {
    values.insert(values.end(), predictions.values.begin() + long(r * pc), predictions.values.begin() + long((r + 1) * pc));
    values.insert(values.end(), validation.targets.begin() + long(r * tc), validation.targets.begin() + long((r + 1) * tc));
  }
  write_csv(path, columns, values);  // atomic: an entry with predictions always has them whole
}

Catalogue load_catalogue(const std::string& folder) {
  Catalogue cat;
  cat.folder = fs::is_directory(fs::path(folder) / "models") ? models_folder(folder) : folder;
  KYPER_REQUIRE(fs::is_directory(cat.folder), "catalogue folder '" << folder << "' does not exist");
  const std::regex name(R"(trial_(-?[0-9]+)\.validation\.csv)");
  std::vector<CatalogueEntry> found;
  for (const auto& file : fs::directory_iterator(cat.folder)) {
    std::smatch match;
    const std::string base = file.path().filename().string();
    if (!std::regex_match(base, match, name)) continue;
    CatalogueEntry e;
    e.trial = std::stoll(match[1].str());
    e.predictions_path = file.path().string();
    e.model_path = (fs::path(cat.folder) / ("trial_" + match[1].str() + ".kyper")).string();
    found.push_back(e);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.trial < b.trial; });

  std::vector<std::string> target_names;
  std::string first_file;
  for (const auto& e : found) {
    if (!fs::exists(e.model_path)) {
      cat.skipped.push_back(e.predictions_path + ": no model file " + e.model_path);
      continue;
    }
    std::vector<std::string> names;
    std::vector<float> targets;
    Predictions p;
    try {
      p = read_entry(e.predictions_path, names, targets);
      const PredictionKind kind = kind_of(p);  // throws when the columns are not a distribution
      if (cat.validation.members > 0 && kind != cat.validation.kind) {
        cat.skipped.push_back(e.predictions_path + ": predicts another kind of output than " + first_file);
        continue;
      }
    } catch (const Error& error) {
      cat.skipped.push_back(error.what());
      continue;
    }
    if (cat.validation.members == 0) {
      first_file = e.predictions_path;
      target_names = names;
      cat.targets = targets;
    } else {
      KYPER_REQUIRE(names == target_names && targets == cat.targets,
                    e.predictions_path << " was scored on other validation rows or targets than " << first_file
                                       << ": a catalogue must come from one search (one validation split)");
    }
    cat.validation.add(p, 1.0);
    cat.entries.push_back(e);
  }
  KYPER_REQUIRE(!cat.entries.empty(), "catalogue '" << cat.folder << "' holds no usable trial_<id>.validation.csv ("
                                                    << found.size() << " found, " << cat.skipped.size()
                                                    << " skipped"
                                                    << (cat.skipped.empty() ? std::string() : ", first: " + cat.skipped[0])
                                                    << "); run the search with models saved");
  // Class labels are one column; Gaussian targets one per output.
  const size_t expected = cat.validation.kind == PredictionKind::Gaussian ? size_t(cat.validation.outputs) : 1;
  KYPER_REQUIRE(target_names.size() == expected,
                first_file << ": " << target_names.size() << " target columns for " << cat.validation.outputs
                           << " predicted outputs");
  return cat;
}

}  // namespace kyper::uq
