#ifndef RLFLEET_CORE_CLOCK_H_
#define RLFLEET_CORE_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace rlfleet {

using SteadyClock = std::chrono::steady_clock;

// Measures elapsed time from construction or the last Reset(). Monotonic; not thread-safe.
class Stopwatch {
 public:
  Stopwatch() : start_(SteadyClock::now()) {}
  void Reset() { start_ = SteadyClock::now(); }
  double Seconds() const {
    return std::chrono::duration<double>(SteadyClock::now() - start_).count();
  }
  int64_t Microseconds() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start_)
        .count();
  }

 private:
  SteadyClock::time_point start_;
};

// Seconds since the Unix epoch (wall clock, for logs and file names only).
double UnixSeconds();

// Local time as "YYYYmmdd-HHMMSS", used in run directory names.
std::string TimestampForPath();

}  // namespace rlfleet

#endif  // RLFLEET_CORE_CLOCK_H_
