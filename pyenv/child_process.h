#ifndef RLFLEET_PYENV_CHILD_PROCESS_H_
#define RLFLEET_PYENV_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace rlfleet {

// One child process, owned: the destructor (and Kill) sends SIGKILL if it still runs and reaps
// it, so neither a zombie nor an orphan outlives the owner. Movable, not copyable, not
// thread-safe.
class SpawnedProcess {
 public:
  SpawnedProcess() = default;
  ~SpawnedProcess() { Kill(); }
  SpawnedProcess(SpawnedProcess&& other) noexcept;
  SpawnedProcess& operator=(SpawnedProcess&& other) noexcept;
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  // Starts argv[0] with argv (posix_spawn; argv[0] without a '/' is looked up on PATH),
  // inheriting stdin, stdout, stderr and the environment, with an empty signal mask and the
  // default action for the usual termination signals. Throws std::runtime_error saying why
  // when it cannot start: "... does not exist", "... is not executable", or strerror's text.
  static SpawnedProcess Spawn(const std::vector<std::string>& argv);

  // File descriptors the child gets as its stdin, stdout and stderr (-1: the parent's). The
  // parent's copies stay open and its own.
  struct Stdio {
    int in = -1;
    int out = -1;
    int err = -1;
  };
  // As above, with the child's standard streams redirected.
  static SpawnedProcess Spawn(const std::vector<std::string>& argv, const Stdio& stdio);

  // Started and not yet reaped.
  bool running() const { return pid_ > 0 && !reaped_; }
  pid_t pid() const { return pid_; }
  // Does not block: true once the process has exited (it is then reaped).
  bool HasExited();
  // Waits up to `seconds` (polling every few milliseconds) for it to exit by itself.
  bool WaitForExit(double seconds);
  // SIGKILL unless it already exited, then reap. Blocks until the kernel has ended it
  // (normally well under a millisecond). Does nothing when not running.
  void Kill();
  // "exited with status 3", "was killed by signal 9 (Killed)"; empty while running.
  std::string ExitDescription() const;
  // The exit status, or -1 when it did not exit normally or still runs.
  int exit_status() const;

 private:
  void Reaped(int status);

  pid_t pid_ = -1;
  bool reaped_ = false;
  bool status_known_ = false;
  int status_ = 0;
};

}  // namespace rlfleet

#endif  // RLFLEET_PYENV_CHILD_PROCESS_H_
