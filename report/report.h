#ifndef RLFLEET_REPORT_REPORT_H_
#define RLFLEET_REPORT_REPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rlfleet {

// A multi-seed report of one config (`rlfleet report`): per-seed final returns, their mean,
// median and interquartile mean with its bootstrap confidence interval (report/statistics.h),
// the time to the config's threshold, and learning curves (the IQM over seeds with its band).
struct ReportOptions {
  std::string title;                   // the section heading, e.g. "cartpole_impala"
  std::string command;                 // the command that makes the report, shown in it
  std::string metric = "mean_return";  // the curves' and the threshold's return: mean_return
                                       // (last 100 training episodes) | eval_return (greedy)
  double threshold = 0;                // the time to threshold: the first row with metric >= it
  int32_t resamples = 50000;           // bootstrap resamples (rliable's default)
  double confidence = 0.95;
  int32_t curve_points = 101;  // grid points on each curve's x axis
  uint64_t seed = 0;           // of the bootstrap's random stream
  std::string out_dir;         // gets report.md, curves_*.csv and, with plot_script, curves_*.png
  // A program run as `PLOT CSV PNG X_LABEL Y_LABEL TITLE` per curve (scripts/plot_curves.py:
  // Debian's /usr/bin/python3 with python3-matplotlib); "" writes no PNGs.
  std::string plot_script;
  // Set: a picture of the best seed's policy, the seed with the highest final metric (the
  // final greedy evaluation with metric eval_return when every seed has one, else the final
  // mean return; the first such seed on a tie), is drawn by draw_strip(its run_dir, PNG path)
  // into out_dir/strip_name and shown in report.md ("Best seed N: ..."). A draw_strip that
  // throws leaves a warning line in report.md instead; the report is still written. `rlfleet
  // report` draws with `rlfleet eval --strip`'s code (learner/evaluate.h) on the newest
  // checkpoint.
  std::function<void(const std::string& run_dir, const std::string& png_path)> draw_strip;
  std::string strip_name;  // a file name, e.g. strip_cartpole_impala.png; needed with draw_strip
  void Validate() const;   // throws std::invalid_argument naming the field
};

struct ReportRun {
  uint64_t seed = 0;
  std::string run_dir;  // holds summary.json and metrics.csv
};

// Reads every run and writes the report into options.out_dir (created): report.md,
// curves_env_steps.csv and curves_wall_seconds.csv (x, iqm, low, high, then one column per
// seed; empty where a seed has no value yet) and, with a plot script, a PNG per CSV (a plot
// that fails is a warning naming the command; the CSVs and report.md stay). The curves'
// x range ends where the shortest run ends, so that every point aggregates every seed; then,
// with options.draw_strip, the best seed's picture. Returns
// report.md's text. Throws std::runtime_error naming the run when a summary.json or
// metrics.csv is missing or malformed.
std::string WriteReport(const std::vector<ReportRun>& runs, const ReportOptions& options);

// "1-5" → 1..5, "1,3,7" → 1, 3, 7, "2" → 2; mixed: "1-3,9". Throws std::invalid_argument on
// anything else (a descending range, a repeat, no seeds).
std::vector<uint64_t> ParseSeeds(const std::string& text);

}  // namespace rlfleet

#endif  // RLFLEET_REPORT_REPORT_H_
