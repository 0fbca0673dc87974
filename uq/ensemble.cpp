#include <kyper/uq/ensemble.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>

#include <kyper/atomic_file.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>

namespace fs = std::filesystem;

namespace kyper::uq {

namespace rj = json::rj;

Ensemble::Ensemble(std::vector<EnsembleMember> members, std::string method, double validation_nll)
    : members_(std::move(members)), method_(std::move(method)), validation_nll_(validation_nll) {
  KYPER_REQUIRE(!members_.empty(), "an ensemble needs at least one member");
  for (const auto& m : members_)
    KYPER_REQUIRE(m.weight > 0 && std::isfinite(m.weight), "ensemble member " << m.model_path << " has weight " << m.weight);
}

Ensemble Ensemble::from_selection(const Catalogue& catalogue, const Selection& selection, const std::string& method) {
  std::vector<EnsembleMember> members;
  for (size_t i = 0; i < selection.members.size(); ++i) {
    const CatalogueEntry& e = catalogue.entries.at(size_t(selection.members[i]));
    members.push_back({e.model_path, selection.weights[i], e.trial});
  }
  return Ensemble(std::move(members), method, selection.validation_nll());
}

void Ensemble::save(const std::string& path) const {
  const fs::path folder = fs::absolute(path).parent_path();
  rj::StringBuffer buffer;
  rj::Writer<rj::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("format"), w.String("kyper-ensemble"), w.Key("version"), w.Int(1);
  w.Key("method"), w.String(method_.c_str());
  w.Key("validation_nll");
  std::isfinite(validation_nll_) ? w.Double(validation_nll_) : w.Null();
  w.Key("members");
  w.StartArray();
  for (const auto& m : members_) {
    w.StartObject();
    w.Key("model"), w.String(fs::absolute(m.model_path).lexically_relative(folder).generic_string().c_str());
    w.Key("weight"), w.Double(m.weight);
    w.Key("trial"), w.Int64(m.trial);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  write_file_atomically(path, std::string(buffer.GetString()) + "\n", "ensemble file");
}

Ensemble Ensemble::load(const std::string& path) {
  const rj::Document doc = json::parse_file(path, "ensemble file");
  KYPER_REQUIRE(doc.IsObject(), path << ": must be a JSON object (a kyper ensemble manifest)");
  const JsonObject top(doc, path, "", {"format", "version", "method", "validation_nll", "members"});
  KYPER_REQUIRE(top.text("format") == "kyper-ensemble", top.key("format") << " must be \"kyper-ensemble\"");
  KYPER_REQUIRE(top.has("version"), top.key("version") << " is missing");
  KYPER_REQUIRE(top.integer("version", 0, 0, 1L << 30) == 1, top.key("version") << " must be 1 (this kyper reads version 1)");
  const std::string method = top.text("method", "");
  const rj::Value* nll_value = top.get("validation_nll");
  KYPER_REQUIRE(!nll_value || nll_value->IsNumber() || nll_value->IsNull(), top.key("validation_nll") << " must be a number or null");
  const double nll = nll_value && nll_value->IsNumber() ? nll_value->GetDouble() : std::numeric_limits<double>::quiet_NaN();
  const auto list = top.array("members");
  KYPER_REQUIRE(!list.Empty(), top.key("members") << " must be a non-empty array");
  const fs::path folder = fs::path(path).parent_path();
  std::vector<EnsembleMember> members;
  int i = 0;
  for (const auto& item : list) {
    const std::string name = JsonObject::item("members", i++);
    KYPER_REQUIRE(item.IsObject(), top.key(name) << " must be an object");
    const JsonObject member(item, path, top.path(name), {"model", "weight", "trial"});
    EnsembleMember m;
    m.model_path = (folder / member.text("model")).lexically_normal().string();
    const rj::Value* weight = member.get("weight");
    KYPER_REQUIRE(weight, member.key("weight") << " is missing");
    KYPER_REQUIRE(weight->IsNumber() && weight->GetDouble() > 0 && std::isfinite(weight->GetDouble()),
                  member.key("weight") << " must be a number > 0");
    m.weight = weight->GetDouble();
    m.trial = member.integer("trial", m.trial, std::numeric_limits<long>::min(), std::numeric_limits<long>::max());
    KYPER_REQUIRE(fs::exists(m.model_path), member.key("model") << ": file " << m.model_path << " does not exist");
    members.push_back(m);
  }
  return Ensemble(std::move(members), method, nll);
}

void Ensemble::load_models() {
  if (models_.size() == members_.size()) return;
  models_.clear();
  for (const auto& m : members_) {
    models_.push_back(Model::load(m.model_path));
    KYPER_REQUIRE(models_.back().feature_names() == models_.front().feature_names(),
                  "ensemble member " << m.model_path << " takes other feature columns than " << members_[0].model_path);
  }
}

const std::vector<std::string>& Ensemble::feature_names() {
  load_models();
  return models_.front().feature_names();
}

const std::vector<std::string>& Ensemble::target_names() {
  load_models();
  return models_.front().target_names();
}

MemberPredictions Ensemble::predict(const Dataset& data) {
  load_models();
  MemberPredictions out;
  for (size_t i = 0; i < models_.size(); ++i) out.add(models_[i].predict(data), members_[i].weight);
  return out;
}

}  // namespace kyper::uq
