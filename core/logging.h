#ifndef RLFLEET_CORE_LOGGING_H_
#define RLFLEET_CORE_LOGGING_H_

#include <cstdint>
#include <sstream>
#include <string>

namespace rlfleet {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Process-wide logging settings. The tag (e.g. "actor-3") prefixes every line so that the
// output of many processes sharing one terminal stays readable. Thread-safe.
void SetLogTag(const std::string& tag);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Whether the count-th occurrence of a repeated event is logged: the 1st, 2nd, 4th, 8th ...
// (a log that grows with the logarithm of the count).
inline bool ShouldLogCount(int64_t count) { return count > 0 && (count & (count - 1)) == 0; }

// One log line, written to stderr atomically when the object is destroyed.
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine();
  template <typename T>
  LogLine& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Turns a finished LogLine expression into void, the type of the other branch of RLF_LOG.
struct LogLineVoidify {
  void operator&(const LogLine& /*line*/) const {}
};

}  // namespace rlfleet

// RLF_LOG(Info) << ...; is one expression (not an if) so that it nests in an if/else
// without braces: & binds looser than << and tighter than ?:.
#define RLF_LOG(level)                                       \
  (::rlfleet::LogLevel::k##level < ::rlfleet::GetLogLevel()) \
      ? static_cast<void>(0)                                 \
      : ::rlfleet::LogLineVoidify() & ::rlfleet::LogLine(::rlfleet::LogLevel::k##level)

#endif  // RLFLEET_CORE_LOGGING_H_
