#include "launcher/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "core/clock.h"

namespace rlfleet {

std::string ExitStatus::ToString() const {
  if (!signaled) return "exit " + std::to_string(code);
  return "signal " + std::to_string(code) + " (" + strsignal(code) + ")";
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess needs a program");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      throw std::runtime_error("cannot open log '" + log_path + "': " + std::strerror(errno));
    }
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    const int error = errno;
    if (log_fd >= 0) ::close(log_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
  }
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
}

ChildProcess::~ChildProcess() {
  if (running() && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::optional<ExitStatus> ChildProcess::Poll() {
  if (status_) return status_;
  int status = 0;
  const pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    ExitStatus exit_status;
    if (WIFSIGNALED(status)) {
      exit_status.signaled = true;
      exit_status.code = WTERMSIG(status);
    } else {
      exit_status.code = WEXITSTATUS(status);
    }
    status_ = exit_status;
  }
  return status_;
}

void ChildProcess::Signal(int signal_number) {
  if (!Poll()) ::kill(pid_, signal_number);
}

std::optional<ExitStatus> ChildProcess::Wait(double timeout_seconds) {
  Stopwatch clock;
  while (!Poll()) {
    if (clock.Seconds() >= timeout_seconds) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

}  // namespace rlfleet
