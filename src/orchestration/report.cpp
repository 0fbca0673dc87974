#include <kyper/report.hpp>

#include "report_data.hpp"

#include <kyper/atomic_file.hpp>
#include <kyper/plot_scale.hpp>
#include <kyper/svg_chart.hpp>

#include <chrono>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace kyper {

namespace {

using plot::xml_escape;

// Light and print-friendly; the classes are the ones the sections use.
const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#1d2329;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #d0d5da;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}nav a{margin-right:12px}figure{margin:12px 0;overflow-x:auto}figcaption{color:#4a535c;font-size:12px;max-width:760px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}td,th{border:1px solid #d0d5da;padding:2px 6px;text-align:right}
th{background:#f1f3f5}.small td,.small th{font-size:12px}.notes{color:#4a535c;font-size:12px}
svg{background:#fff;overflow:visible}svg text{font-size:11px;fill:#1d2329}
.axis line{stroke:#5f6b76;stroke-width:1}.axis .grid{stroke:#e6e9ec}.label{font-size:12px}.tick{fill:#4a535c}
circle.trial{fill:#2f6fb3;fill-opacity:.65}path.best{fill:none;stroke:#d9480f;stroke-width:2}
line.best{stroke:#d9480f;stroke-width:2}path.failed{stroke:#c92a2a;stroke-width:1.5;fill:none}
path.busy,line.busy{fill:none;stroke:#2f6fb3;stroke-width:1.5}path.capacity,line.capacity{fill:none;stroke:#868e96;stroke-dasharray:4 3}
rect.run{fill:#4c9be8}rect.run.failed{fill:#e03131}rect.bar{fill:#4c9be8}
line.pc-axis{stroke:#5f6b76}path.pc{fill:none;stroke:#74a9dc;stroke-width:1.2;stroke-opacity:.7}path.pc.best{stroke:#d9480f;stroke-width:2.5;stroke-opacity:1}
path.curve,line.curve{fill:none;stroke-width:1.5}path.curve.train{stroke-dasharray:5 3}
.c0{stroke:#1f77b4}.c1{stroke:#ff7f0e}.c2{stroke:#2ca02c}.c3{stroke:#d62728}.c4{stroke:#9467bd}.c5{stroke:#8c564b}
.c6{stroke:#e377c2}.c7{stroke:#7f7f7f}.c8{stroke:#bcbd22}.c9{stroke:#17becf}
path.diagonal,line.diagonal{fill:none;stroke:#adb5bd;stroke-dasharray:4 3}line.total-band{stroke:#a5c8ee;stroke-width:1}
line.aleatoric-band{stroke:#f08c00;stroke-width:3;stroke-opacity:.6}
rect.node{fill:#e7f1fb;stroke:#2f6fb3}rect.node.input,rect.node.output{fill:#fff4e6;stroke:#d9480f}
rect.legend-box{fill:#fff;fill-opacity:.85}
line.edge{stroke:#5f6b76;stroke-width:1.2}line.edge.skip{stroke-dasharray:5 3;stroke:#d9480f}.node-label{font-size:11px}
)";

}  // namespace

namespace report_detail {
std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + xml_escape(caption) + "</figcaption></figure>";
}
}  // namespace report_detail

ReportSummary write_report(const ReportOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  report_detail::FolderData data = report_detail::read_folder(options);
  ReportSummary summary;
  summary.notes = data.notes;
  std::vector<report_detail::Section> sections = report_detail::search_sections(data, options, summary.notes);
  for (auto& s : report_detail::model_sections(data, options, summary.notes)) sections.push_back(std::move(s));

  for (const auto& t : data.trials) summary.failed += t.objective ? 0 : 1;
  summary.trials = long(data.trials.size());
  const std::string title = options.title.empty() ? "Kyper search: " + data.folder : options.title;
  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << xml_escape(title)
       << "</title><meta name=\"generator\" content=\"kyper report\"><style>" << kStyle << "</style></head><body>\n";
  page << "<h1>" << xml_escape(title) << "</h1>\n<p>Output folder <code>" << xml_escape(data.folder) << "</code>";
  if (!data.algorithm.empty()) page << ", algorithm " << xml_escape(data.algorithm);
  page << ", " << summary.trials << " trials (" << summary.failed << " failed";
  if (data.resumed) page << ", " << data.resumed << " from a previous run";
  page << "), " << (data.maximize ? "maximising" : "minimising") << " the objective; space from <code>"
       << xml_escape(data.space_source) << "</code>.</p>\n";
  const auto ranked = report_detail::ranked_trials(data);
  if (!ranked.empty()) {
    const auto& best = data.trials[ranked.front()];
    page << "<p id=\"best\">Best: trial " << best.id << ", objective " << plot::format_value(*best.objective) << ", <code>"
         << xml_escape(best.config.to_string()) << "</code></p>\n";
  } else {
    page << "<p id=\"best\">No trial succeeded.</p>\n";
  }
  page << "<nav>";
  for (const auto& s : sections) page << "<a href=\"#" << s.id << "\">" << xml_escape(s.heading) << "</a>";
  page << "</nav>\n";
  for (const auto& s : sections) {
    page << "<section id=\"" << s.id << "\"><h2>" << xml_escape(s.heading) << "</h2>\n" << s.html << "</section>\n";
    summary.sections.push_back(s.id);
  }
  if (!summary.notes.empty()) {
    page << "<section id=\"notes\" class=\"notes\"><h2>Not shown</h2><ul>";
    for (const auto& n : summary.notes) page << "<li>" << xml_escape(n) << "</li>";
    page << "</ul></section>\n";
  }
  page << "</body></html>\n";
  summary.path = options.report_path.empty() ? (fs::path(data.folder) / "report.html").string() : options.report_path;
  const std::string html = page.str();
  write_file_atomically(summary.path, html, "report");
  summary.bytes = html.size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace kyper
