#include "report/run_curve.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

namespace rlfleet {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

RunCurve ReadRunCurve(const std::string& metrics_csv, const std::string& column,
                      bool skip_until_episodes) {
  std::ifstream in(metrics_csv);
  if (!in) throw std::runtime_error("cannot read " + metrics_csv);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(metrics_csv + " is empty");
  std::map<std::string, size_t> index;
  const std::vector<std::string> header = SplitCsv(line);
  for (size_t i = 0; i < header.size(); ++i) index[header[i]] = i;
  for (const std::string& needed :
       {std::string("env_steps"), std::string("wall_seconds"), std::string("episodes"), column}) {
    if (index.count(needed) == 0) {
      throw std::runtime_error(metrics_csv + " has no column '" + needed + "'");
    }
  }
  RunCurve curve;
  for (int row = 2; std::getline(in, line); ++row) {
    const std::vector<std::string> fields = SplitCsv(line);
    auto field = [&](const std::string& name) -> const std::string& {
      static const std::string kEmpty;
      const size_t i = index.at(name);
      return i < fields.size() ? fields[i] : kEmpty;
    };
    if (field(column).empty()) continue;
    try {
      if (skip_until_episodes && std::stod(field("episodes")) <= 0) continue;
      curve.env_steps.push_back(std::stod(field("env_steps")));
      curve.wall_seconds.push_back(std::stod(field("wall_seconds")));
      curve.value.push_back(std::stod(field(column)));
    } catch (const std::exception&) {
      throw std::runtime_error(metrics_csv + " row " + std::to_string(row) + " does not parse: '" +
                               line + "'");
    }
  }
  return curve;
}

double InterpolateAt(const std::vector<double>& x, const std::vector<double>& y, double at) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.empty() || x.size() != y.size() || at < x.front() || at > x.back()) return nan;
  // The first x strictly above `at`; the point before it is the last one with x <= at.
  const size_t upper = std::upper_bound(x.begin(), x.end(), at) - x.begin();
  if (upper == x.size()) return y.back();
  const size_t lower = upper - 1;  // upper >= 1 since at >= x.front()
  const double span = x[upper] - x[lower];
  return y[lower] + (at - x[lower]) / span * (y[upper] - y[lower]);
}

std::vector<double> Grid(double end, int points) {
  if (points < 2) throw std::invalid_argument("a grid needs at least 2 points");
  std::vector<double> grid(static_cast<size_t>(points));
  for (int i = 0; i < points; ++i) grid[i] = end * i / (points - 1);
  return grid;
}

}  // namespace rlfleet
