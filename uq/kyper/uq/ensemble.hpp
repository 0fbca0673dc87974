// A deep ensemble: K trained models with mixture weights. Its prediction is the weighted mixture
// of the members' predictive distributions (see member_predictions.hpp). Saved as a small JSON
// manifest naming the member model files relative to the manifest's folder, so a search's output
// folder with its ensemble can be moved as a whole.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <kyper/model.hpp>
#include <kyper/uq/catalogue.hpp>
#include <kyper/uq/selection.hpp>

namespace kyper::uq {

struct EnsembleMember {
  std::string model_path;
  double weight = 1;
  std::int64_t trial = -1;  // the search trial it came from, -1 if none
};

class Ensemble {
 public:
  Ensemble() = default;
  Ensemble(std::vector<EnsembleMember> members, std::string method,
           double validation_nll = std::numeric_limits<double>::quiet_NaN());
  // The members a selection picked from a catalogue.
  static Ensemble from_selection(const Catalogue& catalogue, const Selection& selection, const std::string& method);

  void save(const std::string& path) const;
  // Errors name the file and the key; member files are checked to exist.
  static Ensemble load(const std::string& path);

  // Every member's predictive distribution for the rows (models are loaded on first use). The
  // data must have the members' feature columns.
  MemberPredictions predict(const Dataset& data);
  // The feature columns the members expect (the first member's; all must agree).
  const std::vector<std::string>& feature_names();
  // The target columns the members were trained on (to score data that has them).
  const std::vector<std::string>& target_names();

  const std::vector<EnsembleMember>& members() const { return members_; }
  const std::string& method() const { return method_; }
  double validation_nll() const { return validation_nll_; }

 private:
  void load_models();

  std::vector<EnsembleMember> members_;
  std::string method_;
  double validation_nll_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<Model> models_;
};

}  // namespace kyper::uq
