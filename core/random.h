#ifndef RLFLEET_CORE_RANDOM_H_
#define RLFLEET_CORE_RANDOM_H_

#include <cstdint>
#include <string_view>

namespace rlfleet {

// Seed of one random stream, derived from the run seed and the role and index of its owner
// (e.g. ("actor", 3), ("env", 17)). Distinct (role, index) pairs give independent streams;
// the same triple gives the same seed on every machine and build.
uint64_t DeriveSeed(uint64_t run_seed, std::string_view role, uint64_t index);

// A small, fast, portable generator (xoshiro256**, seeded through SplitMix64). Unlike the
// standard distributions, every method here is specified bit for bit, so the same seed gives
// the same numbers with every compiler and standard library.
// Not thread-safe: one Rng per thread or object.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { Seed(seed); }

  void Seed(uint64_t seed);
  uint64_t NextU64();
  // Uniform on [0, 1) with 53 random bits.
  double Uniform01();
  // Uniform on [low, high).
  double Uniform(double low, double high) { return low + (high - low) * Uniform01(); }
  // Uniform integer on [0, n), n > 0, without modulo bias.
  uint64_t UniformInt(uint64_t n);
  // Standard normal (Box–Muller, one value per call).
  double Normal();

 private:
  uint64_t state_[4];
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_RANDOM_H_
