// The catalogue AutoDEUQ selects from: every trained model a search kept, with its predictions on
// the validation rows, so an ensemble is chosen without retraining. On disk (the search's output
// folder) each trial leaves models/trial_<id>.kyper and models/trial_<id>.validation.csv, the
// latter holding the model's prediction columns followed by the validation targets ("true:<t>").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <kyper/dataset.hpp>
#include <kyper/model.hpp>
#include <kyper/uq/member_predictions.hpp>

namespace kyper::uq {

// The files a trial's catalogue entry lives in, under a search's output folder.
std::string catalogue_model_path(const std::string& output_dir, std::int64_t trial_id);
std::string catalogue_predictions_path(const std::string& output_dir, std::int64_t trial_id);

// Writes a model's validation predictions with the targets they are scored against (atomically:
// a search killed mid-write leaves no half file behind).
void write_validation_predictions(const std::string& path, const Predictions& predictions, const Dataset& validation);

struct CatalogueEntry {
  std::int64_t trial = -1;
  std::string model_path;
  std::string predictions_path;
};

struct Catalogue {
  std::string folder;                  // the models/ folder
  std::vector<CatalogueEntry> entries; // usable candidates, by trial id
  MemberPredictions validation;        // one member per entry, weight 1
  std::vector<float> targets;          // validation targets: rows x targets, or one label per row
  std::vector<std::string> skipped;    // "file: why" for entries that could not be used
};

// Reads every entry of a search's output folder (or of its models/ folder). Entries without a
// model file, with unreadable or non-finite predictions, or of another kind are skipped with the
// reason; entries scored on different validation rows than the first are an error naming both
// files. Throws naming the folder when nothing usable is found.
Catalogue load_catalogue(const std::string& folder);

}  // namespace kyper::uq
