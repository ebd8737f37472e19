#pragma once
// What every call of the Python module into the library does around the work: the
// interpreter's lock released (other Python threads run meanwhile), Ctrl-C turned into a
// request the long phases poll (support/interrupt.h) instead of Python's handler, which could
// only run once the call returned, and the warnings the library queued handed back.

#include <csignal>
#include <string>
#include <vector>

namespace wb::python {

// Lives on the calling thread while the GIL is released: from construction to destruction,
// SIGINT (on the main thread) requests an interrupt; the previous handler comes back after.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  bool installed_ = false;
  struct sigaction previous_ {};
};

// The warnings queued since the last call ("warning: " dropped), each once.
std::vector<std::string> take_warnings();

}  // namespace wb::python
