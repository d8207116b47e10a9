#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/shell.h"
#include "report/run_curve.h"
#include "report/statistics.h"

namespace rlfleet {
namespace fs = std::filesystem;
namespace {

struct SeedResult {
  uint64_t seed = 0;
  std::string run_dir;
  double final_mean_return = 0;
  bool has_eval = false;
  double final_eval = 0;
  int64_t env_steps = 0;
  double wall_seconds = 0;
  bool completed = false;
  RunCurve curve;  // of the report's metric
  bool reached = false;
  double reached_env_steps = 0;
  double reached_wall_seconds = 0;
};

SeedResult ReadRun(const ReportRun& run, const ReportOptions& options) {
  SeedResult r;
  r.seed = run.seed;
  r.run_dir = run.run_dir;
  const fs::path summary_path = fs::path(run.run_dir) / "summary.json";
  try {
    const auto summary = nlohmann::json::parse(ReadFile(summary_path.string()));
    r.final_mean_return = summary.at("final_mean_return_100").get<double>();
    r.has_eval =
        summary.contains("final_eval_mean_return") && summary["final_eval_mean_return"].is_number();
    if (r.has_eval) r.final_eval = summary["final_eval_mean_return"].get<double>();
    r.env_steps = summary.at("env_steps").get<int64_t>();
    r.wall_seconds = summary.at("wall_seconds").get<double>();
    r.completed = summary.value("completed", false);
  } catch (const std::exception& e) {
    throw std::runtime_error("run " + run.run_dir + ": " + summary_path.string() + ": " + e.what());
  }
  const bool eval = options.metric == "eval_return";
  r.curve = ReadRunCurve((fs::path(run.run_dir) / "metrics.csv").string(),
                         eval ? "eval_mean_return" : "mean_return_100",
                         /*skip_until_episodes=*/!eval);
  for (size_t i = 0; i < r.curve.value.size(); ++i) {
    if (r.curve.value[i] >= options.threshold) {
      r.reached = true;
      r.reached_env_steps = r.curve.env_steps[i];
      r.reached_wall_seconds = r.curve.wall_seconds[i];
      break;
    }
  }
  return r;
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string FormatValue(double v) { return std::isnan(v) ? "" : Format("%.6g", v); }

// The IQM curve over seeds on a grid of x (env steps or wall seconds): one CSV.
std::string CurveCsv(const std::vector<SeedResult>& results, bool wall, const ReportOptions& o) {
  double end = std::numeric_limits<double>::infinity();
  for (const SeedResult& r : results) {
    if (r.curve.value.empty()) return "";
    end = std::min(end, wall ? r.curve.wall_seconds.back() : r.curve.env_steps.back());
  }
  std::ostringstream csv;
  csv << (wall ? "wall_seconds" : "env_steps") << ",iqm,low,high";
  for (const SeedResult& r : results) csv << ",seed_" << r.seed;
  csv << "\n";
  for (double x : Grid(end, o.curve_points)) {
    std::vector<double> values;
    std::vector<double> row;
    for (const SeedResult& r : results) {
      const double v =
          InterpolateAt(wall ? r.curve.wall_seconds : r.curve.env_steps, r.curve.value, x);
      row.push_back(v);
      if (!std::isnan(v)) values.push_back(v);
    }
    csv << FormatValue(x);
    if (values.size() == results.size()) {
      const Interval band =
          BootstrapInterval(values, InterquartileMean, o.resamples, o.confidence, o.seed);
      csv << "," << FormatValue(InterquartileMean(values)) << "," << FormatValue(band.low) << ","
          << FormatValue(band.high);
    } else {
      csv << ",,,";
    }
    for (double v : row) csv << "," << FormatValue(v);
    csv << "\n";
  }
  return csv.str();
}

// "mean | median | IQM [low, high]" cells of one column of values.
struct Aggregate {
  double mean, median, iqm;
  Interval interval;
};

Aggregate Aggregated(const std::vector<double>& values, const ReportOptions& o) {
  return {Mean(values), Median(values), InterquartileMean(values),
          BootstrapInterval(values, InterquartileMean, o.resamples, o.confidence, o.seed)};
}

}  // namespace

void ReportOptions::Validate() const {
  if (metric != "mean_return" && metric != "eval_return") {
    throw std::invalid_argument("report metric must be mean_return or eval_return, got '" + metric +
                                "'");
  }
  if (resamples < 1) throw std::invalid_argument("report resamples must be >= 1");
  if (!(confidence > 0 && confidence < 1)) {
    throw std::invalid_argument("report confidence must be in (0, 1)");
  }
  if (curve_points < 2) throw std::invalid_argument("report curve_points must be >= 2");
  if (out_dir.empty()) throw std::invalid_argument("report out_dir is empty");
  if (draw_strip && (strip_name.empty() || strip_name.find('/') != std::string::npos)) {
    throw std::invalid_argument("report strip_name must be a file name, got '" + strip_name + "'");
  }
}

std::string WriteReport(const std::vector<ReportRun>& runs, const ReportOptions& options) {
  options.Validate();
  if (runs.empty()) throw std::invalid_argument("a report needs at least one run");
  std::vector<SeedResult> results;
  for (const ReportRun& run : runs) results.push_back(ReadRun(run, options));
  fs::create_directories(options.out_dir);

  const bool all_eval =
      std::all_of(results.begin(), results.end(), [](const SeedResult& r) { return r.has_eval; });
  const std::string metric_name = options.metric == "eval_return"
                                      ? "greedy evaluation return"
                                      : "mean return (last 100 episodes)";
  std::ostringstream md;
  md << "#### " << options.title << "\n\n";
  if (!options.command.empty()) md << "Command: `" << options.command << "`\n\n";
  md << "| seed | final mean return (last 100 episodes) |"
     << (all_eval ? " greedy evaluation at the end |" : "") << " env steps | wall seconds | "
     << metric_name << " ≥ " << FormatValue(options.threshold)
     << " first at (env steps) | after (wall seconds) | completed |\n";
  md << "|---|---|" << (all_eval ? "---|" : "") << "---|---|---|---|---|\n";
  std::vector<double> finals, evals;
  int reached = 0;
  for (const SeedResult& r : results) {
    finals.push_back(r.final_mean_return);
    if (all_eval) evals.push_back(r.final_eval);
    reached += r.reached ? 1 : 0;
    md << "| " << r.seed << " | " << Format("%.1f", r.final_mean_return) << " |"
       << (all_eval ? " " + Format("%.1f", r.final_eval) + " |" : "") << " " << r.env_steps << " | "
       << Format("%.1f", r.wall_seconds) << " | "
       << (r.reached ? Format("%.0f", r.reached_env_steps) : "not reached") << " | "
       << (r.reached ? Format("%.1f", r.reached_wall_seconds) : "") << " | "
       << (r.completed ? "true" : "false") << " |\n";
  }
  const Aggregate final_agg = Aggregated(finals, options);
  std::optional<Aggregate> eval_agg;
  if (all_eval) eval_agg = Aggregated(evals, options);
  // The median row also gives the median time to the threshold over the seeds that reached it.
  std::vector<double> reached_steps, reached_seconds;
  for (const SeedResult& r : results) {
    if (!r.reached) continue;
    reached_steps.push_back(r.reached_env_steps);
    reached_seconds.push_back(r.reached_wall_seconds);
  }
  const std::string median_times = reached_steps.empty()
                                       ? " | "
                                       : " " + Format("%.0f", Median(reached_steps)) + " | " +
                                             Format("%.1f", Median(reached_seconds)) + " ";
  auto row = [&](const std::string& label, auto cell, const std::string& times = " | ") {
    md << "| " << label << " | " << cell(final_agg) << " |"
       << (eval_agg ? " " + cell(*eval_agg) + " |" : "") << " | |" << times << "| |\n";
  };
  row("mean", [](const Aggregate& a) { return Format("%.1f", a.mean); });
  row(
      "median", [](const Aggregate& a) { return Format("%.1f", a.median); }, median_times);
  row("**IQM** [" + Format("%.0f", options.confidence * 100) + "% CI]", [](const Aggregate& a) {
    return "**" + Format("%.1f", a.iqm) + "** [" + Format("%.1f", a.interval.low) + ", " +
           Format("%.1f", a.interval.high) + "]";
  });
  md << "\n"
     << results.size() << (results.size() == 1 ? " seed; " : " seeds; ") << reached
     << " of them reached " << metric_name << " ≥ " << FormatValue(options.threshold)
     << " (the median row's times: over those seeds). IQM: the interquartile mean over seeds; "
     << "CI: percentile bootstrap over seeds, " << options.resamples
     << " resamples (rliable's recipe).\n";

  bool plotted = false;
  for (const bool wall : {false, true}) {
    const std::string stem = wall ? "curves_wall_seconds" : "curves_env_steps";
    const std::string csv = CurveCsv(results, wall, options);
    if (csv.empty()) continue;
    const fs::path csv_path = fs::path(options.out_dir) / (stem + ".csv");
    WriteFileAtomic(csv_path.string(), csv);
    if (options.plot_script.empty()) continue;
    const fs::path png = fs::path(options.out_dir) / (stem + ".png");
    const std::string command = ShellQuote(options.plot_script) + " " +
                                ShellQuote(csv_path.string()) + " " + ShellQuote(png.string()) +
                                " " + ShellQuote(wall ? "wall time (s)" : "env steps") + " " +
                                ShellQuote(metric_name) + " " + ShellQuote(options.title);
    const auto [status, output] = RunShell(command);
    if (status != 0) {
      RLF_LOG(Warning) << "plotting failed (" << command << "): " << output << "the CSV is in "
                       << csv_path;
      continue;
    }
    if (!plotted) md << "\n";
    plotted = true;
    md << "![" << metric_name << " against " << (wall ? "wall time" : "env steps") << "](" << stem
       << ".png)\n";
  }
  if (plotted) {
    md << "\nCurves: the IQM over seeds (line) with its "
       << Format("%.0f", options.confidence * 100) << "% bootstrap interval (band) at "
       << options.curve_points << " points, each seed thin; up to where the shortest run ends.\n";
  }
  if (options.draw_strip) {
    // The seed with the highest final metric; the first of equals.
    const bool by_eval = options.metric == "eval_return" && all_eval;
    const auto final_metric = [by_eval](const SeedResult& r) {
      return by_eval ? r.final_eval : r.final_mean_return;
    };
    const SeedResult* best = &results.front();
    for (const SeedResult& r : results) {
      if (final_metric(r) > final_metric(*best)) best = &r;
    }
    const fs::path png = fs::path(options.out_dir) / options.strip_name;
    std::error_code ignored;
    fs::remove(png, ignored);  // never an older report's picture
    try {
      options.draw_strip(best->run_dir, png.string());
      md << "\nBest seed " << best->seed << ": ![a greedy episode of seed " << best->seed
         << "'s newest checkpoint, left to right](" << options.strip_name << ")\n";
    } catch (const std::exception& e) {
      RLF_LOG(Warning) << "no picture of seed " << best->seed << ": " << e.what();
      md << "\nWarning: no picture of the best seed (" << best->seed << "): " << e.what() << "\n";
    }
  }
  const std::string text = md.str();
  WriteFileAtomic((fs::path(options.out_dir) / "report.md").string(), text);
  return text;
}

std::vector<uint64_t> ParseSeeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  std::set<uint64_t> seen;
  auto bad = [&text](const std::string& why) {
    return std::invalid_argument("--seeds '" + text + "': " + why +
                                 " (e.g. 1-5, or 1,3,7, or 1-3,9)");
  };
  auto number = [&](const std::string& s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("'" + s + "' is not a seed");
    }
    return std::stoull(s);
  };
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const size_t dash = part.find('-');
    const uint64_t first = number(part.substr(0, dash));
    const uint64_t last = dash == std::string::npos ? first : number(part.substr(dash + 1));
    if (last < first) throw bad("a descending range");
    if (last - first > 10000) throw bad("more than 10000 seeds");
    for (uint64_t s = first; s <= last; ++s) {
      if (!seen.insert(s).second) throw bad("seed " + std::to_string(s) + " twice");
      seeds.push_back(s);
    }
  }
  if (seeds.empty()) throw bad("no seeds");
  return seeds;
}

}  // namespace rlfleet
