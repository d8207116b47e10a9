#ifndef RLFLEET_REPORT_STATISTICS_H_
#define RLFLEET_REPORT_STATISTICS_H_

#include <cstdint>
#include <functional>
#include <vector>

namespace rlfleet {

// Aggregates over runs (seeds), as rliable (Agarwal et al. 2021, "Deep RL at the Edge of the
// Statistical Precipice") computes them. All throw std::invalid_argument on an empty input.

// The interquartile mean: the mean of what is left after removing the floor(n/4) lowest and
// floor(n/4) highest values (scipy.stats.trim_mean(values, 0.25), rliable's IQM). n = 5: the
// middle 3; n < 4: the plain mean.
double InterquartileMean(std::vector<double> values);

double Mean(const std::vector<double>& values);
double Median(std::vector<double> values);

// The q-quantile (q in [0, 1]) with linear interpolation between order statistics
// (numpy.percentile's default): position q·(n−1) in the sorted values.
double Quantile(std::vector<double> values, double q);

struct Interval {
  double low = 0;
  double high = 0;
};

// The percentile bootstrap confidence interval of statistic(values): `resamples` times, draw n
// of the n values with replacement and apply the statistic; the interval is the (1−c)/2 and
// (1+c)/2 quantiles of those statistics (c = confidence). With one task this is rliable's
// stratified bootstrap (runs resampled within the task; its default 50,000 resamples, 95%).
// Deterministic for a seed (core/random.h's Rng).
Interval BootstrapInterval(const std::vector<double>& values,
                           const std::function<double(std::vector<double>)>& statistic,
                           int32_t resamples, double confidence, uint64_t seed);

}  // namespace rlfleet

#endif  // RLFLEET_REPORT_STATISTICS_H_
