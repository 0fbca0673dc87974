#include <kyper/json.hpp>
#include <kyper/read_file.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#if __has_include(<cereal/external/rapidjson/error/en.h>)
#include <cereal/external/rapidjson/error/en.h>
#else
#include <rapidjson/error/en.h>
#endif

namespace kyper::json {

rj::Document parse(const std::string& text, const std::string& where) {
  rj::Document doc;
  // Full precision: every number reads as the double nearest its text, so a value written back
  // (Space::to_json, checkpoints) reads as the same value again.
  doc.Parse<rj::kParseFullPrecisionFlag>(text.c_str(), text.size());
  if (doc.HasParseError()) {
    // Line and column of the error offset, so the user can find it in an editor.
    const std::size_t offset = std::min(doc.GetErrorOffset(), text.size());
    const auto begin = text.begin(), at = text.begin() + long(offset);
    const long line = 1 + long(std::count(begin, at, '\n'));
    const auto line_start = std::find(std::make_reverse_iterator(at), text.rend(), '\n').base();
    const long column = 1 + long(at - line_start);
    KYPER_FAIL(where << ":" << line << ":" << column << ": not valid JSON: " << rj::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

rj::Document parse_file(const std::string& path, const std::string& what) {
  return parse(read_file(path, what), path);
}

std::string to_text(const rj::Value& value) {
  rj::StringBuffer buffer;
  rj::Writer<rj::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

}  // namespace kyper::json
