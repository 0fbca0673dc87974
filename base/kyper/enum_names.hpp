// One table per enum gives its parser, its printer and the "valid: ..." list of its errors, so the
// three can never disagree. Aliases (extra spellings accepted on input) follow the canonical names.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <kyper/error.hpp>
#include <kyper/text.hpp>

namespace kyper {

template <class Enum>
class EnumNames {
 public:
  // `what` names the kind of value in errors ("activation"); `names` holds the canonical name of
  // every value once, first; `aliases` more accepted spellings.
  EnumNames(std::string what, std::initializer_list<std::pair<Enum, const char*>> names,
            std::initializer_list<std::pair<Enum, const char*>> aliases = {})
      : what_(std::move(what)), names_(names), aliases_(aliases) {}

  const char* name(Enum value) const {
    for (const auto& [v, n] : names_)
      if (v == value) return n;
    KYPER_FAIL("invalid " << what_ << " value " << static_cast<long>(value));
  }

  Enum parse(const std::string& text) const {
    for (const auto* list : {&names_, &aliases_})
      for (const auto& [v, n] : *list)
        if (text == n) return v;
    KYPER_FAIL("unknown " << what_ << " '" << text << "'" << did_you_mean(text, valid()) << " (valid: "
                          << join(valid()) << ")");
  }

  // The canonical names, in table order.
  std::vector<std::string> valid() const {
    std::vector<std::string> out;
    for (const auto& [v, n] : names_) out.emplace_back(n);
    return out;
  }

 private:
  std::string what_;
  std::vector<std::pair<Enum, const char*>> names_, aliases_;
};

}  // namespace kyper
