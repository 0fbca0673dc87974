// kyper report on output folders written here: every section present when its data is, counts in
// the page equal to the rows of results.csv, and the bad folders of issue 17 (only failures, one
// trial, non-finite objectives, non-ASCII names, 5,000 trials, missing files) give a page or a
// clear error.
#include <kyper/error.hpp>
#include <kyper/report.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search/space.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <support/error_of.hpp>

namespace fs = std::filesystem;
using kyper::search::Configuration;
using kyper::search::Observation;
using kyper::search::Space;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string section(const std::string& html, const std::string& id) {
  const auto start = html.find("<section id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Space test_space() {
  Space space;
  space.add_float("learning_rate", 1e-4, 1e-1, true);
  space.add_int("units", 8, 128);
  space.add_categorical("activation", {std::string("relu"), std::string("tanh")});
  space.add_float("noise", 0, 1);
  return space;
}

class ReportFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("kyper_report_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  // `n` trials on `ranks` ranks; every `fail_every`-th fails. The objective depends on the learning
  // rate only (the importance must find it).
  std::vector<Observation> trials(const Space& space, int n, int ranks, int fail_every) {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<Observation> out;
    std::vector<double> busy_until(std::size_t(ranks), 1.8e9);
    for (int i = 0; i < n; ++i) {
      Observation o;
      o.id = i;
      const double lr = std::pow(10.0, -4 + 3 * u(rng));
      o.config = space.make({{"learning_rate", lr},
                             {"units", std::round(8 + 120 * u(rng))},
                             {"activation", std::string(u(rng) < 0.5 ? "relu" : "tanh")},
                             {"noise", u(rng)}});
      const std::size_t rank = std::size_t(i % ranks);
      o.timestamp_start = busy_until[rank] + 0.01;
      o.timestamp_end = o.timestamp_start + 1 + u(rng);
      busy_until[rank] = o.timestamp_end;
      o.metadata["rank"] = std::to_string(rank);
      if (fail_every > 0 && i % fail_every == fail_every - 1) {
        o.reason = i % 2 ? "timeout: ran 61 s" : "diverged: loss became nan";
      } else {
        o.objective = -std::pow(std::log10(lr) + 2.5, 2);
        o.metadata["learning_curve"] = "1.5;0.9;0.7;" + std::to_string(0.6 - 0.01 * (i % 7));
        o.metadata["train_curve"] = "1.4;0.8;0.6;0.5";
        o.metadata["epochs"] = "4";
      }
      out.push_back(o);
    }
    return out;
  }

  void write_folder(const Space& space, const std::vector<Observation>& rows, bool with_space = true) {
    kyper::search::write_results((dir / "results.csv").string(), space, {}, rows);
    if (with_space) std::ofstream(dir / "space.json") << space.to_json();
    std::ofstream(dir / "summary.json") << R"({"config": "none.json", "algorithm": "cbo", "ranks": 4, "finished": )"
                                        << rows.size() << R"(, "failed": 0, "resumed": 0, "seconds": 12.5,
                                        "utilisation": 0.9321, "maximize": true})";
  }

  kyper::ReportSummary report(int top = 10) {
    kyper::ReportOptions options;
    options.output_dir = dir.string();
    options.top = top;
    options.title = "test <report> & \"co\"";
    return kyper::write_report(options);
  }

  fs::path dir;
};

}  // namespace

TEST_F(ReportFolder, EverySectionWithCountsMatchingTheResults) {
  const Space space = test_space();
  const auto rows = trials(space, 60, 4, 10);
  write_folder(space, rows);
  const auto written = report(8);
  const std::string html = read(written.path);
  EXPECT_EQ(written.path, (dir / "report.html").string());
  EXPECT_EQ(written.bytes, html.size());
  EXPECT_EQ(written.trials, 60);
  EXPECT_EQ(written.failed, 6);
  EXPECT_EQ(written.sections, (std::vector<std::string>{"trajectory", "utilisation", "top", "importance", "curves"}));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("<title>test &lt;report&gt; &amp; &quot;co&quot;</title>"), std::string::npos);
  // Trajectory: one point per successful trial in each of the two charts, one cross per failure.
  const std::string trajectory = section(html, "trajectory");
  EXPECT_EQ(count(trajectory, "<circle class=\"trial\""), 2u * 54);
  EXPECT_EQ(count(trajectory, "<path class=\"failed\""), 2u * 6);
  EXPECT_NE(trajectory.find("failed: timeout: ran 61 s</title>"), std::string::npos);  // the reason on hover
  EXPECT_EQ(count(trajectory, "<svg"), 2u);
  // Utilisation: one bar per trial, one row per rank; the scheduler's figure as summary.json has it.
  const std::string utilisation = section(html, "utilisation");
  EXPECT_EQ(count(utilisation, "<rect class=\"run"), 60u);
  EXPECT_EQ(count(utilisation, "<rect class=\"run failed\""), 6u);
  EXPECT_NE(utilisation.find("Utilisation 93.2% over 4 rank(s)"), std::string::npos);
  EXPECT_NE(utilisation.find("of 4 rank(s) that ran trials"), std::string::npos);
  for (int rank = 0; rank < 4; ++rank)  // the timeline's rows are labelled with the ranks
    EXPECT_EQ(count(utilisation, ">rank " + std::to_string(rank) + "</text>"), 1u) << rank;
  // Top K: K rows in the table (plus the header), K lines in the parallel coordinates.
  const std::string top = section(html, "top");
  EXPECT_EQ(count(top, "<tr>"), 9u);
  EXPECT_EQ(count(top, "<path class=\"pc"), 8u);
  EXPECT_EQ(count(top, "<path class=\"pc best\""), 1u);
  // The learning rate alone drives the objective: it leads the importance.
  const std::string importance = section(html, "importance");
  const auto first_bar = importance.find("<rect class=\"bar\"");
  ASSERT_NE(first_bar, std::string::npos);
  EXPECT_EQ(importance.find("<title>learning_rate: ", first_bar), importance.find("<title>", first_bar));
  EXPECT_NE(importance.find("permutation importance"), std::string::npos);
  // Curves: validation and training loss of the top 8.
  const std::string curves = section(html, "curves");
  EXPECT_EQ(count(curves, "validation loss</title>"), 8u);
  EXPECT_EQ(count(curves, "training loss</title>"), 8u);
}

TEST_F(ReportFolder, OnlyFailedTrials) {
  const Space space = test_space();
  write_folder(space, trials(space, 7, 2, 1));
  const auto written = report();
  const std::string html = read(written.path);
  EXPECT_EQ(written.failed, 7);
  EXPECT_NE(html.find("No trial succeeded."), std::string::npos);
  EXPECT_EQ(section(html, "top"), "");
  EXPECT_EQ(section(html, "importance"), "");
  EXPECT_EQ(count(section(html, "trajectory"), "<path class=\"failed\""), 14u);
  EXPECT_NE(section(html, "trajectory").find("<td>timeout</td><td>3</td>"), std::string::npos);
  EXPECT_NE(section(html, "notes").find("importance needs at least 10 successful trials"), std::string::npos);
}

TEST_F(ReportFolder, SingleTrial) {
  const Space space = test_space();
  write_folder(space, trials(space, 1, 1, 0));
  const auto written = report();
  const std::string html = read(written.path);
  EXPECT_EQ(written.trials, 1);
  EXPECT_EQ(count(section(html, "trajectory"), "<circle class=\"trial\""), 2u);
  EXPECT_EQ(count(section(html, "top"), "<tr>"), 2u);
  EXPECT_NE(html.find("id=\"best\">Best: trial 0"), std::string::npos);
}

TEST_F(ReportFolder, NonFiniteObjectivesAreShownButNeverBest) {
  const Space space = test_space();
  write_folder(space, trials(space, 12, 2, 0));
  // Rewrite two objectives as a user's tool might: inf and nan.
  std::string csv = read(dir / "results.csv");
  std::istringstream lines(csv);
  std::string line, out;
  int row = -1;
  while (std::getline(lines, line)) {
    if (row == 3 || row == 5) {
      // The objective is the 6th field (job_id, 4 parameters, objective).
      std::size_t at = 0;
      for (int f = 0; f < 5; ++f) at = line.find(',', at) + 1;
      line = line.substr(0, at) + (row == 3 ? "inf" : "nan") + line.substr(line.find(',', at));
    }
    out += line + "\n";
    ++row;
  }
  std::ofstream(dir / "results.csv") << out;
  const auto written = report();
  const std::string html = read(written.path);
  EXPECT_NE(html.find("2 with a non-finite objective"), std::string::npos);
  EXPECT_EQ(count(section(html, "trajectory"), "<circle class=\"trial\""), 2u * 10);
  EXPECT_EQ(count(section(html, "trajectory"), "objective inf</title>"), 2u);
  EXPECT_EQ(html.find("Best: trial 3,"), std::string::npos);
  EXPECT_EQ(count(section(html, "top"), "<tr>"), 11u);
}

TEST_F(ReportFolder, NonAsciiAndMarkupInNamesAndValuesAreEscaped) {
  Space space;
  space.add_float("Lernrate_\xC3\xBC", 1e-3, 1, true);
  space.add_categorical("act<i>", {std::string("r\xC3\xA9lu & co"), std::string("<b>tanh</b>")});
  std::vector<Observation> rows;
  for (int i = 0; i < 12; ++i) {
    Observation o;
    o.id = i;
    o.config = space.make({{"Lernrate_\xC3\xBC", std::pow(10.0, -3 + 3 * i / 12.0)},
                           {"act<i>", std::string(i % 2 ? "<b>tanh</b>" : "r\xC3\xA9lu & co")}});
    o.objective = double(i);
    rows.push_back(o);
  }
  write_folder(space, rows);
  const std::string html = read(report().path);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<i>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;tanh&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("act&lt;i&gt;"), std::string::npos);
  EXPECT_NE(html.find("Lernrate_\xC3\xBC"), std::string::npos);
  EXPECT_NE(html.find("r\xC3\xA9lu &amp; co"), std::string::npos);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
}

TEST_F(ReportFolder, FiveThousandTrialsStayUnderAFewMegabytes) {
  const Space space = test_space();
  write_folder(space, trials(space, 5000, 64, 25));
  const auto written = report();
  EXPECT_EQ(written.trials, 5000);
  EXPECT_LT(written.bytes, 6u << 20);
  EXPECT_EQ(count(section(read(written.path), "utilisation"), "<rect class=\"run"), 5000u);
}

TEST_F(ReportFolder, ClearErrorsForWhatIsMissing) {
  kyper::ReportOptions options;
  options.output_dir = (dir / "nowhere").string();
  EXPECT_NE(kyper::testing::error_of([&] { kyper::write_report(options); }).find("nowhere: no such folder"),
            std::string::npos);
  options.output_dir = dir.string();
  EXPECT_NE(kyper::testing::error_of([&] { kyper::write_report(options); }).find((dir / "results.csv").string() + ": missing"),
            std::string::npos);
  const Space space = test_space();
  write_folder(space, trials(space, 5, 1, 0), /*with_space=*/false);
  EXPECT_NE(kyper::testing::error_of([&] { kyper::write_report(options); }).find("pass the search's job file with --config"),
            std::string::npos);
  // A row that does not parse: the file and line.
  std::ofstream(dir / "space.json") << space.to_json();
  std::ofstream(dir / "results.csv", std::ios::app) << "99,not-a-number,8,relu,0.5,1,done,,,,,,\n";
  const std::string error = kyper::testing::error_of([&] { kyper::write_report(options); });
  EXPECT_NE(error.find("results.csv:7: column 'p:learning_rate'"), std::string::npos) << error;
}

TEST_F(ReportFolder, AnEnsembleWithoutItsModelsFolderIsANoteNotACrash) {
  const Space space = test_space();
  write_folder(space, trials(space, 12, 2, 0));
  std::ofstream(dir / "ensemble_greedy.json")
      << R"({"format": "kyper-ensemble", "version": 1, "method": "greedy", "members": [{"model": "models/trial_0.kyper", "weight": 1, "trial": 0}]})";
  const auto written = report();
  EXPECT_EQ(std::count(written.sections.begin(), written.sections.end(), "ensembles"), 0);
  bool noted = false;
  for (const auto& n : written.notes) noted |= n.rfind("ensembles: ", 0) == 0;
  EXPECT_TRUE(noted);
}
