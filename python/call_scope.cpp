#include "python/call_scope.h"

#include <pthread.h>
#include <unistd.h>

#include <sstream>

#include "support/interrupt.h"
#include "workbench/warnings.h"

namespace wb::python {

namespace {

extern "C" void on_sigint(int) { request_interrupt(); }

bool on_main_thread() { return getpid() == gettid(); }

}  // namespace

InterruptScope::InterruptScope() {
  clear_interrupt();
  // Python delivers signals to its main thread only; a call from another thread keeps them.
  if (!on_main_thread()) return;
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  installed_ = sigaction(SIGINT, &action, &previous_) == 0;
}

InterruptScope::~InterruptScope() {
  if (installed_) sigaction(SIGINT, &previous_, nullptr);
}

std::vector<std::string> take_warnings() {
  std::ostringstream queued;
  print_warnings(queued);
  std::vector<std::string> lines;
  std::istringstream in(queued.str());
  for (std::string line; std::getline(in, line);) {
    const std::string prefix = "warning: ";
    lines.push_back(line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line);
  }
  return lines;
}

}  // namespace wb::python
