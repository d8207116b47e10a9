#ifndef RLFLEET_REPLAY_RATE_LIMITER_H_
#define RLFLEET_REPLAY_RATE_LIMITER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <vector>

namespace rlfleet {

// When a table may be inserted into and sampled from, with Reverb's semantics
// (reverb/cc/rate_limiter.cc). With `size = inserts − deletes` and
// `diff = inserts · samples_per_insert − samples`:
//  - n inserts are allowed while `size + n <= min_size_to_sample` (filling up to the minimum
//    is never limited), otherwise when `(inserts + n) · samples_per_insert − samples <= max_diff`;
//  - n samples are allowed when `size >= min_size_to_sample` and `diff − n >= min_diff`.
// Every item handed out counts as one sample; every item removed from the table (evicted,
// sampled max_times_sampled times, deleted) counts as one delete.
struct RateLimiterOptions {
  int64_t min_size_to_sample = 1;
  double samples_per_insert = 1.0;
  double min_diff = -std::numeric_limits<double>::infinity();
  double max_diff = std::numeric_limits<double>::infinity();

  // Throws std::invalid_argument naming the field: min_size_to_sample < 1, samples_per_insert
  // not finite and > 0, a NaN diff, or min_diff > max_diff.
  void Validate() const;

  // Reverb's SampleToInsertRatio: keeps samples ≈ samples_per_insert · inserts once
  // min_size_to_sample items are in, within ±error_buffer of the offset
  // samples_per_insert · min_size_to_sample (so that the fill-up phase does not count):
  // min_diff = offset − error_buffer, max_diff = offset + error_buffer.
  // Throws std::invalid_argument (as Reverb does) when max_diff − min_diff <
  // 2 · max(1, samples_per_insert) (that could block both sides forever) or min_size_to_sample
  // < 1.
  static RateLimiterOptions SampleToInsertRatio(double samples_per_insert,
                                                int64_t min_size_to_sample, double error_buffer);
  // The same with an explicit [min_diff, max_diff] range and no offset (Reverb's tuple form).
  // Also throws when min_diff > samples_per_insert · min_size_to_sample (certain deadlock once
  // min_size_to_sample items are in).
  static RateLimiterOptions SampleToInsertRatio(double samples_per_insert,
                                                int64_t min_size_to_sample, double min_diff,
                                                double max_diff);
  // A queue of at most `size` unsampled items: samples_per_insert 1, min_size_to_sample 1,
  // min_diff 0, max_diff size. Use with fifo sampler and remover and max_times_sampled 1.
  static RateLimiterOptions Queue(int64_t size);
  // Samples wait for n items; nothing else is limited.
  static RateLimiterOptions MinSize(int64_t n);
};

// The counters of a limiter: what a checkpoint saves and what a shard reports in its replies.
struct RateLimiterState {
  int64_t inserts = 0;
  int64_t samples = 0;
  int64_t deletes = 0;
  // Time callers spent with an insert / a sample held back, as reported by them.
  double insert_blocked_seconds = 0.0;
  double sample_blocked_seconds = 0.0;
};

// Cross-shard rate limiting. One table's items are spread over S shards; the ratio
// samples / inserts must hold for the whole table, not per shard (one shard may get more
// inserts, the learner may sample another more). The learner's SampleClient sees every
// shard's RateLimiterState in every reply, keeps the latest per shard, sums them into this
// value, and forwards it with its next requests to every shard; the shard hands it to its
// limiter with RateLimiter::SetExternalCounts, which then applies the ratio to the global
// diff instead of its own. See replay/README.md.
struct GlobalRateLimiterState {
  int64_t inserts = 0;
  int64_t samples = 0;

  // The sum over shards of their latest states.
  static GlobalRateLimiterState Aggregate(const std::vector<RateLimiterState>& shards);
};

// The non-blocking rate limiter a shard's loop consults before every insert and sample.
// Answers are O(1). Not thread-safe (one owner thread; see BlockingRateLimiter for threads).
class RateLimiter {
 public:
  // Validates the options (std::invalid_argument).
  explicit RateLimiter(const RateLimiterOptions& options);

  // Whether n (> 0, else std::invalid_argument) inserts / samples may go ahead now.
  bool CanInsert(int64_t n = 1) const;
  bool CanSample(int64_t n = 1) const;

  // Record what happened (the caller decides whether to check first).
  void OnInsert(int64_t n = 1) { inserts_ += n; }
  void OnSample(int64_t n = 1) { samples_ += n; }
  void OnDelete(int64_t n = 1) { deletes_ += n; }
  // Time-blocked accounting, fed by the caller (the shard knows how long a request waited).
  void AddInsertBlockedSeconds(double seconds) { insert_blocked_seconds_ += seconds; }
  void AddSampleBlockedSeconds(double seconds) { sample_blocked_seconds_ += seconds; }

  // Cross-shard mode. From now on the ratio (max_diff / min_diff) applies to global counts:
  //   inserts_used = global.inserts − own_inserts_included + inserts()
  //   samples_used = global.samples − own_samples_included + samples()
  // where own_*_included are this limiter's counts that the global sums contain (the values of
  // this shard's last reply the client had seen). This replaces the stale own share by the
  // exact current one, so only other shards' recent activity is missing. The size condition
  // (min_size_to_sample) stays local: a shard samples only what it holds.
  // Throws std::invalid_argument on negative counts or own counts above the global ones.
  void SetExternalCounts(const GlobalRateLimiterState& global, int64_t own_inserts_included,
                         int64_t own_samples_included);
  // The same, assuming the global sums include this limiter's current counts.
  void SetExternalCounts(int64_t global_inserts, int64_t global_samples);
  // Back to local counts.
  void ClearExternalCounts() { external_ = false; }
  bool has_external_counts() const { return external_; }

  // The counts the ratio is applied to (global ones in cross-shard mode).
  int64_t inserts_for_ratio() const;
  int64_t samples_for_ratio() const;
  // inserts_for_ratio() · samples_per_insert − samples_for_ratio().
  double diff() const;

  int64_t inserts() const { return inserts_; }
  int64_t samples() const { return samples_; }
  int64_t deletes() const { return deletes_; }
  int64_t size() const { return inserts_ - deletes_; }
  const RateLimiterOptions& options() const { return options_; }

  // Counters for checkpoints and replies; Restore sets them back (external counts are not part
  // of the state: the client sends them again).
  RateLimiterState state() const;
  void Restore(const RateLimiterState& state);

 private:
  RateLimiterOptions options_;
  int64_t inserts_ = 0;
  int64_t samples_ = 0;
  int64_t deletes_ = 0;
  double insert_blocked_seconds_ = 0.0;
  double sample_blocked_seconds_ = 0.0;
  bool external_ = false;
  int64_t external_inserts_ = 0;  // global.inserts − own_inserts_included
  int64_t external_samples_ = 0;  // global.samples − own_samples_included
};

// A thread-safe, blocking view of a RateLimiter for in-process use (a Table shared by threads
// in one process, e.g. tests or a single-process run). It owns a mutex and two condition
// variables; while it exists, every access to the limiter — and to whatever the limiter
// guards, e.g. the Table that owns it — must go through it (AwaitCanInsert/AwaitCanSample's
// `then`, or Run). The shard server does not use it: its loop never blocks.
class BlockingRateLimiter {
 public:
  using Duration = std::chrono::steady_clock::duration;

  // `limiter` is not owned and must outlive this object.
  explicit BlockingRateLimiter(RateLimiter* limiter);
  BlockingRateLimiter(const BlockingRateLimiter&) = delete;
  BlockingRateLimiter& operator=(const BlockingRateLimiter&) = delete;

  // Blocks until limiter->CanInsert(n), the timeout passes or Cancel() is called. On success
  // runs `then` under the lock — it must record the inserts (a Table's Insert does,
  // through its limiter); an empty `then` calls limiter->OnInsert(n) — wakes waiters and
  // returns true. Returns false on timeout or cancellation (then nothing ran). Time spent
  // blocked is added to the limiter's insert_blocked_seconds.
  bool AwaitCanInsert(Duration timeout, int64_t n = 1, const std::function<void()>& then = {});
  // The same for samples (`then` must record them; empty: limiter->OnSample(n)).
  bool AwaitCanSample(Duration timeout, int64_t n = 1, const std::function<void()>& then = {});

  // Runs f under the lock, then wakes the waiters (for deletes, priority updates, external
  // counts, reading counters).
  void Run(const std::function<void()>& f);

  // Wakes every waiter; all current and later Await calls return false.
  void Cancel();

 private:
  bool Await(Duration timeout, bool insert, int64_t n, const std::function<void()>& then);

  RateLimiter* limiter_;
  std::mutex mutex_;
  std::condition_variable can_insert_;
  std::condition_variable can_sample_;
  bool cancelled_ = false;
};

}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_RATE_LIMITER_H_
