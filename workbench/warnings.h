#pragma once
// Warnings the commands print after their work (or after the error that ended it), so that an
// error is always stderr's first line and a warning repeated by many runs of one process (a
// sweep) is printed once.

#include <iosfwd>
#include <string>

namespace wb {

// Queues "warning: ..." (one line, no newline) for print_warnings.
void warn_later(std::string line);
// Prints each queued warning once, in the order first queued, and empties the queue.
void print_warnings(std::ostream& os);

}  // namespace wb
