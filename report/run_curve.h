#ifndef RLFLEET_REPORT_RUN_CURVE_H_
#define RLFLEET_REPORT_RUN_CURVE_H_

#include <string>
#include <vector>

namespace rlfleet {

// One run's learning curve from its metrics.csv: the rows where `column` holds a number, in
// file order (env steps and wall seconds never decrease within a run).
struct RunCurve {
  std::vector<double> env_steps;
  std::vector<double> wall_seconds;
  std::vector<double> value;
};

// Reads `column` (e.g. "mean_return_100", "eval_mean_return") of a metrics.csv. Rows where it
// is empty (no evaluation yet) are left out, and so are the rows before the first episode ends
// when `skip_until_episodes` (episodes == 0: mean_return_100 is 0 there, not a return). Throws
// std::runtime_error naming the file when it cannot be read or lacks a column it needs, or a
// row does not parse.
RunCurve ReadRunCurve(const std::string& metrics_csv, const std::string& column,
                      bool skip_until_episodes);

// y(at) by linear interpolation between the points (x non-decreasing); NaN when `at` lies
// outside [x.front(), x.back()] or there are no points. A step in x (equal x) takes the later y.
double InterpolateAt(const std::vector<double>& x, const std::vector<double>& y, double at);

// `points` values evenly spaced on [0, end] (both included; points >= 2).
std::vector<double> Grid(double end, int points);

}  // namespace rlfleet

#endif  // RLFLEET_REPORT_RUN_CURVE_H_
