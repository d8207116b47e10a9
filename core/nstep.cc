#include "core/nstep.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace rlfleet {
namespace {

constexpr size_t kHeaderBytes = 9;  // version, count, D

void PutU32(uint32_t v, std::string* out) {
  const char bytes[4] = {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                         static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 24) & 0xff)};
  out->append(bytes, 4);
}

void PutFloat(float f, std::string* out) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  PutU32(bits, out);
}

uint32_t GetU32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

float GetFloat(const unsigned char* p) {
  const uint32_t bits = GetU32(p);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace

NStepBuilder::NStepBuilder(int32_t n, double gamma, int32_t observation_size)
    : n_(n), gamma_(gamma), observation_size_(observation_size) {
  if (n < 1)
    throw std::invalid_argument("NStepBuilder: n must be >= 1 (got " + std::to_string(n) + ")");
  if (!(gamma >= 0.0 && gamma <= 1.0)) {
    throw std::invalid_argument("NStepBuilder: gamma must be in [0, 1] (got " +
                                std::to_string(gamma) + ")");
  }
  if (observation_size < 1) {
    throw std::invalid_argument("NStepBuilder: observation_size must be >= 1 (got " +
                                std::to_string(observation_size) + ")");
  }
  gamma_powers_.resize(n + 1);
  gamma_powers_[0] = 1.0;
  for (int32_t k = 1; k <= n; ++k) gamma_powers_[k] = gamma_powers_[k - 1] * gamma;
  observations_.assign(static_cast<size_t>(n) * observation_size, 0.0f);
  actions_.assign(n, 0.0f);
  rewards_.assign(n, 0.0f);
}

void NStepBuilder::Push(const float* observation, float action, float reward, bool terminated,
                        bool truncated, const float* next_observation,
                        std::vector<Transition>* out) {
  // Store the step in the next free slot (size_ < n_ on entry).
  const int32_t slot = (head_ + size_) % n_;
  std::memcpy(observations_.data() + static_cast<size_t>(slot) * observation_size_, observation,
              sizeof(float) * observation_size_);
  actions_[slot] = action;
  rewards_[slot] = reward;
  ++size_;

  // Episode end: flush every pending step with what is left of its return.
  if (terminated || truncated) {
    for (int32_t first = 0; first < size_; ++first) {
      Emit(first, /*bootstrap=*/!terminated, next_observation, out);
    }
    Clear();
    return;
  }
  // The oldest step has its n rewards: emit it and drop it.
  if (size_ == n_) {
    Emit(0, /*bootstrap=*/true, next_observation, out);
    head_ = (head_ + 1) % n_;
    --size_;
  }
}

void NStepBuilder::Clear() {
  head_ = 0;
  size_ = 0;
}

void NStepBuilder::Emit(int32_t first, bool bootstrap, const float* next_observation,
                        std::vector<Transition>* out) const {
  const int32_t k = size_ - first;
  const int32_t start = (head_ + first) % n_;
  double reward = 0.0;
  for (int32_t j = 0; j < k; ++j) reward += gamma_powers_[j] * rewards_[(start + j) % n_];
  Transition t;
  const float* x = observations_.data() + static_cast<size_t>(start) * observation_size_;
  t.observation.assign(x, x + observation_size_);
  t.action = actions_[start];
  t.reward = static_cast<float>(reward);
  t.discount = bootstrap ? static_cast<float>(gamma_powers_[k]) : 0.0f;
  t.next_observation.assign(next_observation, next_observation + observation_size_);
  t.steps = k;
  out->push_back(std::move(t));
}

std::string EncodeTransitions(const Transition* transitions, size_t count) {
  const size_t d = count > 0 ? transitions[0].observation.size() : 0;
  if (count > 0 && d == 0) throw std::invalid_argument("EncodeTransitions: empty observation");
  if (count > UINT32_MAX || d > UINT32_MAX / 8) {
    throw std::invalid_argument("EncodeTransitions: too many transitions or floats");
  }
  for (size_t i = 0; i < count; ++i) {
    const Transition& t = transitions[i];
    if (t.observation.size() != d || t.next_observation.size() != d) {
      throw std::invalid_argument(
          "EncodeTransitions: transition " + std::to_string(i) + " has observation sizes (" +
          std::to_string(t.observation.size()) + ", " + std::to_string(t.next_observation.size()) +
          "), expected " + std::to_string(d));
    }
  }
  std::string out;
  out.reserve(kHeaderBytes + count * (16 + 8 * d));
  out.push_back(static_cast<char>(kTransitionEncodingVersion));
  PutU32(static_cast<uint32_t>(count), &out);
  PutU32(static_cast<uint32_t>(d), &out);
  for (size_t i = 0; i < count; ++i) {
    const Transition& t = transitions[i];
    PutFloat(t.action, &out);
    PutFloat(t.reward, &out);
    PutFloat(t.discount, &out);
    PutU32(static_cast<uint32_t>(t.steps), &out);
    for (float v : t.observation) PutFloat(v, &out);
    for (float v : t.next_observation) PutFloat(v, &out);
  }
  return out;
}

std::string EncodeTransitions(const std::vector<Transition>& transitions) {
  return EncodeTransitions(transitions.data(), transitions.size());
}

std::vector<Transition> DecodeTransitions(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < kHeaderBytes || p == nullptr) {
    throw std::invalid_argument("DecodeTransitions: " + std::to_string(size) +
                                " bytes is shorter than the header");
  }
  if (p[0] != kTransitionEncodingVersion) {
    throw std::invalid_argument("DecodeTransitions: version " + std::to_string(p[0]) +
                                ", expected " + std::to_string(kTransitionEncodingVersion));
  }
  const uint64_t count = GetU32(p + 1);
  const uint64_t d = GetU32(p + 5);
  if (count > 0 && d == 0) throw std::invalid_argument("DecodeTransitions: zero observation size");
  // count and d are below 2^32, so this cannot overflow 64 bits.
  const uint64_t record = 16 + 8 * d;
  const uint64_t expected = kHeaderBytes + count * record;
  if (expected != size) {
    throw std::invalid_argument("DecodeTransitions: " + std::to_string(size) +
                                " bytes, the header (count " + std::to_string(count) + ", D " +
                                std::to_string(d) + ") needs " + std::to_string(expected));
  }
  std::vector<Transition> out(count);
  p += kHeaderBytes;
  for (uint64_t i = 0; i < count; ++i) {
    Transition& t = out[i];
    t.action = GetFloat(p);
    t.reward = GetFloat(p + 4);
    t.discount = GetFloat(p + 8);
    t.steps = static_cast<int32_t>(GetU32(p + 12));
    p += 16;
    if (t.steps < 1) {
      throw std::invalid_argument("DecodeTransitions: transition " + std::to_string(i) +
                                  " has steps " + std::to_string(t.steps));
    }
    if (!(t.discount >= 0.0f && t.discount <= 1.0f)) {
      throw std::invalid_argument("DecodeTransitions: transition " + std::to_string(i) +
                                  " has discount outside [0, 1]");
    }
    t.observation.resize(d);
    t.next_observation.resize(d);
    for (uint64_t j = 0; j < d; ++j, p += 4) t.observation[j] = GetFloat(p);
    for (uint64_t j = 0; j < d; ++j, p += 4) t.next_observation[j] = GetFloat(p);
  }
  return out;
}

}  // namespace rlfleet
