#ifndef RLFLEET_LAUNCHER_PROCESS_H_
#define RLFLEET_LAUNCHER_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace rlfleet {

// How a child process ended.
struct ExitStatus {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number when signaled
  bool ok() const { return !signaled && code == 0; }
  std::string ToString() const;  // "exit 0", "signal 9 (Killed)"
};

// A child process running `argv[0]` with `argv`, its stdout and stderr appended to
// `log_path` ("" keeps the parent's). The child gets SIGTERM if the parent dies
// (PR_SET_PDEATHSIG), so no process outlives its launcher. The destructor kills (SIGKILL)
// and reaps a child still running. Not thread-safe.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return !status_.has_value(); }
  // Non-blocking: reaps the child if it ended and returns its status.
  std::optional<ExitStatus> Poll();
  // Sends a signal if the child still runs.
  void Signal(int signal_number);
  // Waits up to timeout_seconds for the child to end; returns its status if it did.
  std::optional<ExitStatus> Wait(double timeout_seconds);

 private:
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_PROCESS_H_
