#ifndef RLFLEET_LAUNCHER_SHELL_TESTING_H_
#define RLFLEET_LAUNCHER_SHELL_TESTING_H_

// Tests only: runs a shell command line. Header-only.

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <utility>

namespace rlfleet {
namespace testing {

// Runs `command` with /bin/sh, stderr merged into stdout; returns its exit status (-1 when it
// did not exit normally) and its output. Blocks until it ends.
inline std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_SHELL_TESTING_H_
