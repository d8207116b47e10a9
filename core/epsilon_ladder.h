#ifndef RLFLEET_CORE_EPSILON_LADDER_H_
#define RLFLEET_CORE_EPSILON_LADDER_H_

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace rlfleet {

// Exploration rate of env i of n in Ape-X's fixed ladder (Horgan et al. 2018, §4.1):
//   ε_i = base^(1 + alpha · i / (n − 1)),  i = 0 .. n − 1
// i is the global index over all envs of all actors (actor j's env e: j · envs_per_actor + e),
// so ε runs from base (i = 0) down to base^(1 + alpha) (i = n − 1): 0.4 … 0.4^8 ≈ 6.6e-4 with
// the published values. With n = 1 the exponent is taken as 1 (ε = base).
// Throws std::invalid_argument when n < 1 or i is not in [0, n).
inline double ApexEpsilon(int64_t i, int64_t n, double base = 0.4, double alpha = 7.0) {
  if (n < 1 || i < 0 || i >= n) {
    throw std::invalid_argument("ApexEpsilon: index " + std::to_string(i) + " is not in [0, " +
                                std::to_string(n) + ")");
  }
  if (n == 1) return base;
  return std::pow(base, 1.0 + alpha * static_cast<double>(i) / static_cast<double>(n - 1));
}

// Value i of n on the geometric ladder from `first` (i = 0) to `last` (i = n − 1):
//   first · (last / first)^(i / (n − 1))
// (first when n = 1 or first = 0; 0 for i > 0 when last = 0). TD3's per-env exploration noise
// scales use it. Throws std::invalid_argument when n < 1, i is not in [0, n), or an end is
// negative.
inline double GeometricLadder(int64_t i, int64_t n, double first, double last) {
  if (n < 1 || i < 0 || i >= n || first < 0 || last < 0) {
    throw std::invalid_argument("GeometricLadder: index " + std::to_string(i) + " of " +
                                std::to_string(n) + " with ends " + std::to_string(first) + ", " +
                                std::to_string(last));
  }
  if (n == 1 || first == 0) return first;
  return first * std::pow(last / first, static_cast<double>(i) / static_cast<double>(n - 1));
}

}  // namespace rlfleet

#endif  // RLFLEET_CORE_EPSILON_LADDER_H_
