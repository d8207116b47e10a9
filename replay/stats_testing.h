#ifndef RLFLEET_REPLAY_STATS_TESTING_H_
#define RLFLEET_REPLAY_STATS_TESTING_H_

// Test helpers for goodness-of-fit checks of samplers (header-only, tests only).

#include <cmath>
#include <vector>

namespace rlfleet {
namespace testing {

// Upper critical value of the chi-square distribution with `dof` degrees of freedom at
// significance 0.001, by the Wilson–Hilferty approximation
// χ²_crit ≈ k (1 − 2/(9k) + z √(2/(9k)))³ with z = Φ⁻¹(0.999) = 3.0902. Accurate to well under
// 1% for k >= 10 (k = 19: 43.95 here, 43.82 in tables; slightly conservative).
inline double ChiSquareCritical001(int dof) {
  const double k = dof;
  const double z = 3.090232306;
  const double t = 1.0 - 2.0 / (9.0 * k) + z * std::sqrt(2.0 / (9.0 * k));
  return k * t * t * t;
}

// Pearson's statistic Σ (observed − expected)² / expected, expected_i = draws · p_i.
inline double ChiSquareStatistic(const std::vector<long>& observed,
                                 const std::vector<double>& probabilities, long draws) {
  double chi2 = 0.0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double expected = static_cast<double>(draws) * probabilities[i];
    const double d = static_cast<double>(observed[i]) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_STATS_TESTING_H_
