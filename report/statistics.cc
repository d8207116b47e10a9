#include "report/statistics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/random.h"

namespace rlfleet {
namespace {

void RequireValues(const std::vector<double>& values, const char* what) {
  if (values.empty()) throw std::invalid_argument(std::string(what) + " of no values");
}

}  // namespace

double Mean(const std::vector<double>& values) {
  RequireValues(values, "mean");
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double InterquartileMean(std::vector<double> values) {
  RequireValues(values, "interquartile mean");
  std::sort(values.begin(), values.end());
  const size_t cut = values.size() / 4;
  return Mean(std::vector<double>(values.begin() + cut, values.end() - cut));
}

double Quantile(std::vector<double> values, double q) {
  RequireValues(values, "quantile");
  if (!(q >= 0 && q <= 1)) throw std::invalid_argument("quantile q must be in [0, 1]");
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + fraction * (values[above] - values[below]);
}

double Median(std::vector<double> values) { return Quantile(std::move(values), 0.5); }

Interval BootstrapInterval(const std::vector<double>& values,
                           const std::function<double(std::vector<double>)>& statistic,
                           int32_t resamples, double confidence, uint64_t seed) {
  RequireValues(values, "bootstrap interval");
  if (resamples < 1) throw std::invalid_argument("bootstrap resamples must be >= 1");
  if (!(confidence > 0 && confidence < 1)) {
    throw std::invalid_argument("bootstrap confidence must be in (0, 1)");
  }
  Rng rng(seed);
  std::vector<double> statistics(static_cast<size_t>(resamples));
  std::vector<double> sample(values.size());
  for (double& s : statistics) {
    for (double& v : sample) v = values[rng.UniformInt(values.size())];
    s = statistic(sample);
  }
  const double tail = (1 - confidence) / 2;
  return {Quantile(statistics, tail), Quantile(statistics, 1 - tail)};
}

}  // namespace rlfleet
