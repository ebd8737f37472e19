#include "workbench/sweep/process_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace wb::sweep {

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

// Installs the interrupt handlers for the pool's lifetime and restores the old ones.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

struct Running {
  std::size_t job = 0;
  pid_t pid = -1;
  int fd = -1;  // read end of the output pipe; -1 once closed
  Clock::time_point start, deadline;
  bool has_deadline = false;
  bool timed_out = false;
  bool exited = false;
  int status = 0;
  std::string output;
};

void append_capped(std::string& output, const char* data, std::size_t size) {
  output.append(data, size);
  if (output.size() > kMaxOutput) output.erase(0, output.size() - kMaxOutput);
}

// Reads what is there; returns false at end of file.
bool drain(Running& r) {
  char buffer[65536];
  while (true) {
    const ssize_t n = read(r.fd, buffer, sizeof(buffer));
    if (n > 0) {
      append_capped(r.output, buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return true;  // EAGAIN: nothing more for now
  }
}

Running spawn(const ProcessJob& job, std::size_t index) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> argv;
  for (const std::string& arg : job.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // A group of its own: a timeout or an interrupt ends whatever it started too.
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    const char message[] = "error: cannot execute the point's process\n";
    const ssize_t ignored = write(STDERR_FILENO, message, sizeof(message) - 1);
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so a kill right after fork reaches the group
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  Running r;
  r.job = index;
  r.pid = pid;
  r.fd = fds[0];
  r.start = Clock::now();
  if (job.timeout_s > 0) {
    r.has_deadline = true;
    r.deadline = r.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(job.timeout_s));
  }
  return r;
}

ProcessOutcome outcome_of(const Running& r) {
  ProcessOutcome o;
  o.output = r.output;
  o.timed_out = r.timed_out;
  o.seconds = std::chrono::duration<double>(Clock::now() - r.start).count();
  if (WIFEXITED(r.status)) o.exit_code = WEXITSTATUS(r.status);
  if (WIFSIGNALED(r.status)) o.exit_code = 128 + WTERMSIG(r.status);
  return o;
}

}  // namespace

bool ProcessPool::run(const std::vector<ProcessJob>& jobs, const Started& started, const Finished& finished,
                      const Tick& tick) {
  InterruptGuard guard;
  std::vector<Running> running;
  std::size_t next = 0;
  auto last_tick = Clock::now();
  bool& interrupted = interrupted_;
  interrupted = false;
  while (next < jobs.size() || !running.empty()) {
    if (g_interrupted != 0 && !interrupted) {
      interrupted = true;
      for (Running& r : running) kill(-r.pid, SIGTERM);
    }
    while (!interrupted && running.size() < slots_ && next < jobs.size()) {
      running.push_back(spawn(jobs[next], next));
      if (started) started(next);
      ++next;
    }
    if (interrupted) next = jobs.size();

    std::vector<pollfd> fds;
    for (const Running& r : running) {
      if (r.fd >= 0) fds.push_back({r.fd, POLLIN, 0});
    }
    int wait_ms = 100;
    poll(fds.data(), fds.size(), wait_ms);

    const auto now = Clock::now();
    for (Running& r : running) {
      if (r.fd >= 0 && !drain(r)) {
        close(r.fd);
        r.fd = -1;
      }
      if (r.has_deadline && !r.timed_out && now > r.deadline) {
        r.timed_out = true;
        kill(-r.pid, SIGKILL);
      }
      if (!r.exited && waitpid(r.pid, &r.status, WNOHANG) == r.pid) r.exited = true;
    }
    for (auto it = running.begin(); it != running.end();) {
      // Done when it exited: what it wrote is in the pipe (drained once more); a process it
      // left behind may hold the pipe open, and is not waited for.
      if (it->exited && it->fd >= 0) {
        drain(*it);
        close(it->fd);
        it->fd = -1;
        kill(-it->pid, SIGKILL);
      }
      if (it->exited) {
        const ProcessOutcome outcome = outcome_of(*it);
        const std::size_t job = it->job;
        it = running.erase(it);
        if (finished) finished(job, outcome);
      } else {
        ++it;
      }
    }
    if (tick && Clock::now() - last_tick > std::chrono::milliseconds(200)) {
      tick();
      last_tick = Clock::now();
    }
  }
  return !interrupted;
}

std::string find_on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= dirs.size()) {
    std::size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = (end > begin ? dirs.substr(begin, end - begin) : ".") + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return "";
}

ProcessOutcome run_command(std::vector<std::string> argv, double timeout_s) {
  if (argv.empty()) throw std::runtime_error("run_command: no command");
  const std::string resolved = find_on_path(argv[0]);
  if (resolved.empty()) throw std::runtime_error(argv[0] + ": not found on PATH");
  argv[0] = resolved;
  ProcessOutcome result;
  ProcessPool(1).run({ProcessJob{argv, timeout_s}}, nullptr,
                     [&](std::size_t, const ProcessOutcome& outcome) { result = outcome; }, nullptr);
  return result;
}

std::string error_line(const std::string& output) {
  std::string last, error;
  std::size_t begin = 0;
  while (begin < output.size()) {
    std::size_t end = output.find('\n', begin);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(begin, end - begin);
    if (!line.empty()) last = line;
    if (line.rfind("error:", 0) == 0 || line.rfind("internal error:", 0) == 0) error = line;
    begin = end + 1;
  }
  return !error.empty() ? error : last;
}

void prepare_point_environment() {
  constexpr const char* kTunable = "glibc.malloc.hugetlb=1";
  const char* existing = std::getenv("GLIBC_TUNABLES");
  std::string value = existing != nullptr ? existing : "";
  if (value.find("glibc.malloc.hugetlb") == std::string::npos) {
    value = value.empty() ? kTunable : value + ":" + kTunable;
    setenv("GLIBC_TUNABLES", value.c_str(), 1);
  }
  setenv("OMP_NUM_THREADS", "1", 0);
}

std::string current_executable() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(n));
}

}  // namespace wb::sweep
