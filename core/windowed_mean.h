#ifndef RLFLEET_CORE_WINDOWED_MEAN_H_
#define RLFLEET_CORE_WINDOWED_MEAN_H_

#include <cmath>
#include <cstddef>
#include <deque>

namespace rlfleet {

// Mean and standard deviation of the last `window` values added (e.g. the last 100 episode
// returns). O(window) per query, O(1) per Add. Not thread-safe.
class WindowedMean {
 public:
  explicit WindowedMean(size_t window) : window_(window) {}
  void Add(double value) {
    values_.push_back(value);
    if (values_.size() > window_) values_.pop_front();
  }
  size_t count() const { return values_.size(); }
  double Mean() const {
    if (values_.empty()) return NAN;
    double sum = 0.0;
    for (double v : values_) sum += v;
    return sum / static_cast<double>(values_.size());
  }
  // Population standard deviation.
  double StdDev() const {
    if (values_.empty()) return NAN;
    const double mean = Mean();
    double sum = 0.0;
    for (double v : values_) sum += (v - mean) * (v - mean);
    return std::sqrt(sum / static_cast<double>(values_.size()));
  }

 private:
  size_t window_;
  std::deque<double> values_;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_WINDOWED_MEAN_H_
