#include "core/random.h"

#include <cmath>

namespace rlfleet {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t DeriveSeed(uint64_t run_seed, std::string_view role, uint64_t index) {
  // FNV-1a over the role name, then mixed with the seed and index through SplitMix64.
  uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : role) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  uint64_t x = run_seed;
  uint64_t a = SplitMix64(x);
  x ^= h;
  uint64_t b = SplitMix64(x);
  x ^= index * 0xD1B54A32D192ED03ULL;
  uint64_t c = SplitMix64(x);
  return a ^ Rotl(b, 21) ^ Rotl(c, 42);
}

void Rng::Seed(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& s : state_) s = SplitMix64(x);
}

uint64_t Rng::NextU64() {
  const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double Rng::Uniform01() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

uint64_t Rng::UniformInt(uint64_t n) {
  // Lemire's rejection: the accepted range is a multiple of n.
  const uint64_t threshold = (0 - n) % n;
  while (true) {
    const uint64_t r = NextU64();
    if (r >= threshold) return r % n;
  }
}

double Rng::Normal() {
  double u1 = Uniform01();
  while (u1 <= 0.0) u1 = Uniform01();
  const double u2 = Uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace rlfleet
