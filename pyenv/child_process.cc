#include "pyenv/child_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace rlfleet {
namespace {

// Frees posix_spawn's attribute object on every path.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    if (posix_spawnattr_init(&attr_) != 0) throw std::runtime_error("posix_spawnattr_init failed");
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
      sigaddset(&defaults, s);
    }
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// posix_spawn's file actions (the child's standard streams), freed on every path.
class FileActions {
 public:
  FileActions() {
    if (posix_spawn_file_actions_init(&actions_) != 0) {
      throw std::runtime_error("posix_spawn_file_actions_init failed");
    }
  }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  void Dup2(int fd, int target) {
    if (posix_spawn_file_actions_adddup2(&actions_, fd, target) != 0) {
      throw std::runtime_error("posix_spawn_file_actions_adddup2 failed");
    }
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

SpawnedProcess::SpawnedProcess(SpawnedProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(other.reaped_),
      status_known_(other.status_known_),
      status_(other.status_) {}

SpawnedProcess& SpawnedProcess::operator=(SpawnedProcess&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = other.reaped_;
    status_known_ = other.status_known_;
    status_ = other.status_;
  }
  return *this;
}

SpawnedProcess SpawnedProcess::Spawn(const std::vector<std::string>& argv) {
  return Spawn(argv, Stdio{});
}

SpawnedProcess SpawnedProcess::Spawn(const std::vector<std::string>& argv, const Stdio& stdio) {
  if (argv.empty() || argv[0].empty()) throw std::runtime_error("no program to start");
  const std::string& program = argv[0];
  const bool has_slash = program.find('/') != std::string::npos;
  if (has_slash) {
    struct stat st;
    if (stat(program.c_str(), &st) != 0) {
      throw std::runtime_error(
          program + (errno == ENOENT ? " does not exist" : ": " + std::string(strerror(errno))));
    }
    if (!S_ISREG(st.st_mode) || access(program.c_str(), X_OK) != 0) {
      throw std::runtime_error(program + " is not an executable file");
    }
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  SpawnAttributes attributes;
  FileActions actions;
  const int redirects[3] = {stdio.in, stdio.out, stdio.err};
  for (int target = 0; target < 3; ++target) {
    if (redirects[target] >= 0) actions.Dup2(redirects[target], target);
  }
  pid_t pid = -1;
  const int rc = has_slash ? posix_spawn(&pid, program.c_str(), actions.get(), attributes.get(),
                                         args.data(), environ)
                           : posix_spawnp(&pid, program.c_str(), actions.get(), attributes.get(),
                                          args.data(), environ);
  if (rc != 0) {
    if (rc == ENOENT && !has_slash) throw std::runtime_error(program + " was not found on PATH");
    throw std::runtime_error("cannot start " + program + ": " + strerror(rc));
  }
  SpawnedProcess child;
  child.pid_ = pid;
  return child;
}

void SpawnedProcess::Reaped(int status) {
  reaped_ = true;
  status_known_ = true;
  status_ = status;
}

bool SpawnedProcess::HasExited() {
  if (pid_ <= 0) return true;
  if (reaped_) return true;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    Reaped(status);
  } else if (r < 0 && errno == ECHILD) {
    reaped_ = true;  // Reaped elsewhere (SIGCHLD ignored): gone, status unknown.
  }
  return reaped_;
}

bool SpawnedProcess::WaitForExit(double seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds > 0 ? seconds : 0);
  while (!HasExited()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void SpawnedProcess::Kill() {
  if (!running()) return;
  if (HasExited()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid_, &status, 0);
    if (r == pid_) {
      Reaped(status);
      return;
    }
    if (r < 0 && errno == EINTR) continue;
    reaped_ = true;  // ECHILD: reaped elsewhere.
    return;
  }
}

std::string SpawnedProcess::ExitDescription() const {
  if (running()) return "";
  if (!status_known_) return "exited (status unknown)";
  if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) {
    const int sig = WTERMSIG(status_);
    return "was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
  }
  return "ended (status " + std::to_string(status_) + ")";
}

int SpawnedProcess::exit_status() const {
  if (running() || !status_known_ || !WIFEXITED(status_)) return -1;
  return WEXITSTATUS(status_);
}

}  // namespace rlfleet
