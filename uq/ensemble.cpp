#include <kyper/uq/ensemble.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <kyper/error.hpp>
#include <kyper/search/json.hpp>

namespace fs = std::filesystem;

namespace kyper::uq {

namespace rj = search::json::rj;

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
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial);
    KYPER_REQUIRE(out, "cannot write ensemble file " << partial);
    out << buffer.GetString() << "\n";
    KYPER_REQUIRE(out.good(), "failed writing ensemble file " << partial);
  }
  fs::rename(partial, path);
}

Ensemble Ensemble::load(const std::string& path) {
  std::ifstream in(path);
  KYPER_REQUIRE(in, "cannot open ensemble file " << path);
  std::stringstream text;
  text << in.rdbuf();
  rj::Document doc;
  doc.Parse(text.str().c_str());
  KYPER_REQUIRE(!doc.HasParseError() && doc.IsObject(), path << ": not a JSON object (parse error at offset "
                                                               << doc.GetErrorOffset() << ")");
  auto member = [&](const rj::Value& object, const char* key, const std::string& where) -> const rj::Value& {
    KYPER_REQUIRE(object.HasMember(key), path << ": key '" << where << key << "' is missing");
    return object[key];
  };
  KYPER_REQUIRE(member(doc, "format", "").IsString() && std::string(doc["format"].GetString()) == "kyper-ensemble",
                path << ": key 'format' must be \"kyper-ensemble\"");
  KYPER_REQUIRE(member(doc, "version", "").IsInt() && doc["version"].GetInt() == 1,
                path << ": key 'version' must be 1 (this kyper reads version 1)");
  const std::string method = doc.HasMember("method") && doc["method"].IsString() ? doc["method"].GetString() : "";
  const double nll = doc.HasMember("validation_nll") && doc["validation_nll"].IsNumber()
                         ? doc["validation_nll"].GetDouble()
                         : std::numeric_limits<double>::quiet_NaN();
  const rj::Value& list = member(doc, "members", "");
  KYPER_REQUIRE(list.IsArray() && !list.Empty(), path << ": key 'members' must be a non-empty array");
  const fs::path folder = fs::path(path).parent_path();
  std::vector<EnsembleMember> members;
  for (rj::SizeType i = 0; i < list.Size(); ++i) {
    const std::string where = "members[" + std::to_string(i) + "].";
    KYPER_REQUIRE(list[i].IsObject(), path << ": key 'members[" << i << "]' must be an object");
    const rj::Value& model = member(list[i], "model", where);
    const rj::Value& weight = member(list[i], "weight", where);
    KYPER_REQUIRE(model.IsString(), path << ": key '" << where << "model' must be a string");
    KYPER_REQUIRE(weight.IsNumber() && weight.GetDouble() > 0,
                  path << ": key '" << where << "weight' must be a number > 0");
    EnsembleMember m;
    m.model_path = (folder / model.GetString()).lexically_normal().string();
    m.weight = weight.GetDouble();
    if (list[i].HasMember("trial") && list[i]["trial"].IsInt64()) m.trial = list[i]["trial"].GetInt64();
    KYPER_REQUIRE(fs::exists(m.model_path), path << ": key '" << where << "model': file " << m.model_path
                                                  << " does not exist");
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
