#ifndef RLFLEET_CORE_NSTEP_H_
#define RLFLEET_CORE_NSTEP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

// One n-step transition of a discrete-action agent (the Ape-X replay item):
//   x_t, a_t, R = Σ_{j<k} γ^j r_{t+j}, discount, x_{t+k}
// The learner's target is R + discount · Q(x_{t+k}, ·): discount is γ^k when the transition
// bootstraps and 0 when the episode terminated within its k steps.
struct Transition {
  std::vector<float> observation;  // x_t, D floats
  float action = 0.0f;             // a_t, the action index as a float
  float reward = 0.0f;             // n-step discounted sum of rewards
  float discount = 0.0f;           // γ^k for the bootstrap, 0 when the episode terminated
  // x_{t+k}; for an episode cut by a time limit, its final observation (not the reset one).
  // Still D floats (the value is irrelevant) when discount is 0.
  std::vector<float> next_observation;
  int32_t steps = 0;  // k, 1 ≤ k ≤ n
};

// Builds n-step transitions from the steps of ONE environment, in the actor (an actor keeps
// one builder per env). Holds at most n − 1 steps between calls; its memory is allocated in
// the constructor, never in Push (except for the transitions appended to *out).
// Not thread-safe.
//
// Termination ends the bootstrap (discount 0); truncation (a time limit) bootstraps from the
// final observation with γ^k. A step that is both terminated and truncated counts as
// terminated.
class NStepBuilder {
 public:
  // n ≥ 1, γ in [0, 1], observation_size ≥ 1. Throws std::invalid_argument otherwise.
  NStepBuilder(int32_t n, double gamma, int32_t observation_size);

  // Adds one step: observation x_t (observation_size floats), action a_t, reward r_t, whether
  // the step ended the episode (terminated / truncated), and x_{t+1} (for an ended episode its
  // final observation, not the reset one). Appends to *out every transition that became
  // complete, oldest first: normally the one that started n steps back (k = n, discount γ^n);
  // at an episode end every pending one (k = n, n − 1, ..., 1), after which the builder is
  // empty and the next Push starts a new episode. O(n · observation_size) per call.
  void Push(const float* observation, float action, float reward, bool terminated, bool truncated,
            const float* next_observation, std::vector<Transition>* out);

  // Drops the pending steps (e.g. when the env is reset outside the episode flow).
  void Clear();

  // Steps waiting for their n-step return (< n).
  int32_t pending() const { return size_; }
  int32_t n() const { return n_; }
  double gamma() const { return gamma_; }
  int32_t observation_size() const { return observation_size_; }

 private:
  // Appends the transition starting at the pending step of ring offset `first` (0 = oldest)
  // and ending at the newest step, bootstrapping from next_observation with `bootstrap`.
  void Emit(int32_t first, bool bootstrap, const float* next_observation,
            std::vector<Transition>* out) const;

  int32_t n_;
  double gamma_;
  int32_t observation_size_;
  std::vector<double> gamma_powers_;  // γ^0 ... γ^n
  // Ring buffer of the pending steps: slot (head_ + j) mod n holds the j-th oldest.
  std::vector<float> observations_;  // n × D
  std::vector<float> actions_;       // n
  std::vector<float> rewards_;       // n
  int32_t head_ = 0;
  int32_t size_ = 0;
};

// Compact binary encoding of transitions that share one observation size D (little-endian):
//   byte 0: version (kTransitionEncodingVersion)
//   bytes 1..4: uint32 count, bytes 5..8: uint32 D
//   count records of: float action, float reward, float discount, int32 steps,
//                     D floats observation, D floats next_observation
// (16 + 8·D bytes per transition: 57 bytes for one CartPole transition with the header).
constexpr uint8_t kTransitionEncodingVersion = 1;

// Throws std::invalid_argument when the transitions do not all have the same D (≥ 1) in both
// observation and next_observation. An empty input encodes as count 0, D 0.
std::string EncodeTransitions(const Transition* transitions, size_t count);
std::string EncodeTransitions(const std::vector<Transition>& transitions);

// Inverse of EncodeTransitions. Throws std::invalid_argument on anything that is not such an
// encoding: a short or over-long buffer, another version, a size that does not match the
// header, steps < 1, or a discount outside [0, 1] (NaN included).
std::vector<Transition> DecodeTransitions(const void* data, size_t size);

}  // namespace rlfleet

#endif  // RLFLEET_CORE_NSTEP_H_
