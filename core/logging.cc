#include "core/logging.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <mutex>

namespace rlfleet {
namespace {

std::mutex& TagMutex() {
  static std::mutex mutex;
  return mutex;
}
std::string& Tag() {
  static std::string tag = "rlfleet";
  return tag;
}
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "D";
    case LogLevel::kInfo: return "I";
    case LogLevel::kWarning: return "W";
    case LogLevel::kError: return "E";
  }
  return "?";
}

}  // namespace

void SetLogTag(const std::string& tag) {
  std::lock_guard<std::mutex> lock(TagMutex());
  Tag() = tag;
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

LogLine::~LogLine() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char time_text[16];
  std::strftime(time_text, sizeof(time_text), "%H:%M:%S", &local);
  std::string tag;
  {
    std::lock_guard<std::mutex> lock(TagMutex());
    tag = Tag();
  }
  std::string line = std::string(LevelName(level_)) + " " + time_text + " [" + tag + "] " +
                     stream_.str() + "\n";
  // One write(2) per line keeps lines of concurrent processes from interleaving.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace rlfleet
