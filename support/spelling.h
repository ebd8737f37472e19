#pragma once
// "Did you mean ...?" for every loader that rejects an unknown key (hw configs, sweep specs).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wb {

// Levenshtein distance: insertions, deletions and substitutions of one character.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` if it is within `max_distance` edits (the first of equals),
// else "".
std::string closest_spelling(std::string_view word, const std::vector<std::string_view>& candidates,
                             std::size_t max_distance = 2);

}  // namespace wb
