// Small text helpers shared by every layer's messages: lists joined for "valid: a, b, c", and the
// closest valid name for "did you mean ...?".
#pragma once

#include <string>
#include <vector>

namespace kyper {

// "a, b, c" (with `separator` between the items).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

// The candidate closest to `word` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours), or "" when none is close enough to be a plausible typo: at most a third
// of the longer name's letters may differ (at least 1, at most 3).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" for the closest candidate, or "" when there is none.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kyper
