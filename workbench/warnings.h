#pragma once
// Warnings the commands print after their work (or after the error that ended it), so that an
// error is always stderr's first line and a warning repeated by many runs of one process (a
// sweep) is printed once.

#include <iosfwd>
#include <string>

namespace wb {

// Queues "warning: ..." (one line, no newline) for print_warnings.
void warn_later(std::string line);
// Queues "note: <text>": what the tool decided for the user and says once (a symbolic batch
// dimension taken as 1), printed with the warnings so that --quiet keeps it.
void note_later(const std::string& text);
// Prints each queued warning once, in the order first queued, and empties the queue.
void print_warnings(std::ostream& os);

}  // namespace wb
