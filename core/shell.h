#ifndef RLFLEET_CORE_SHELL_H_
#define RLFLEET_CORE_SHELL_H_

// Command lines for /bin/sh: quoting, and running one to its end.

#include <string>
#include <utility>

namespace rlfleet {

// `text` single-quoted for a POSIX shell (it's → 'it'\''s'), for command lines.
std::string ShellQuote(const std::string& text);

// Runs `command` with /bin/sh, its stderr merged into stdout, and blocks until it ends.
// Returns its exit status (-1 when it did not exit normally, e.g. killed by a signal, or could
// not be started) and its output.
std::pair<int, std::string> RunShell(const std::string& command);

}  // namespace rlfleet

#endif  // RLFLEET_CORE_SHELL_H_
