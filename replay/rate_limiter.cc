#include "replay/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rlfleet {
namespace {

void CheckCount(int64_t n, const char* what) {
  if (n <= 0) {
    throw std::invalid_argument(std::string("RateLimiter: ") + what + " count must be > 0, got " +
                                std::to_string(n));
  }
}

}  // namespace

void RateLimiterOptions::Validate() const {
  if (min_size_to_sample < 1) {
    throw std::invalid_argument("rate_limiter.min_size_to_sample must be >= 1, got " +
                                std::to_string(min_size_to_sample));
  }
  if (!(samples_per_insert > 0.0) || !std::isfinite(samples_per_insert)) {
    throw std::invalid_argument("rate_limiter.samples_per_insert must be finite and > 0, got " +
                                std::to_string(samples_per_insert));
  }
  if (std::isnan(min_diff)) throw std::invalid_argument("rate_limiter.min_diff is NaN");
  if (std::isnan(max_diff)) throw std::invalid_argument("rate_limiter.max_diff is NaN");
  if (min_diff > max_diff) {
    throw std::invalid_argument("rate_limiter.min_diff (" + std::to_string(min_diff) +
                                ") must be <= max_diff (" + std::to_string(max_diff) + ")");
  }
}

RateLimiterOptions RateLimiterOptions::SampleToInsertRatio(double samples_per_insert,
                                                           int64_t min_size_to_sample,
                                                           double error_buffer) {
  const double offset = samples_per_insert * static_cast<double>(min_size_to_sample);
  return SampleToInsertRatio(samples_per_insert, min_size_to_sample, offset - error_buffer,
                             offset + error_buffer);
}

RateLimiterOptions RateLimiterOptions::SampleToInsertRatio(double samples_per_insert,
                                                           int64_t min_size_to_sample,
                                                           double min_diff, double max_diff) {
  RateLimiterOptions options;
  options.samples_per_insert = samples_per_insert;
  options.min_size_to_sample = min_size_to_sample;
  options.min_diff = min_diff;
  options.max_diff = max_diff;
  options.Validate();
  if (max_diff - min_diff < 2.0 * std::max(1.0, samples_per_insert)) {
    throw std::invalid_argument(
        "SampleToInsertRatio: the error buffer (max_diff - min_diff) must be >= 2 * max(1, "
        "samples_per_insert); a smaller one could block inserts and samples for good");
  }
  if (min_diff > samples_per_insert * static_cast<double>(min_size_to_sample)) {
    throw std::invalid_argument(
        "SampleToInsertRatio: min_diff is above samples_per_insert * min_size_to_sample, which "
        "deadlocks as soon as min_size_to_sample items are in");
  }
  return options;
}

RateLimiterOptions RateLimiterOptions::Queue(int64_t size) {
  if (size < 1) throw std::invalid_argument("RateLimiterOptions::Queue: size must be >= 1");
  RateLimiterOptions options;
  options.samples_per_insert = 1.0;
  options.min_size_to_sample = 1;
  options.min_diff = 0.0;
  options.max_diff = static_cast<double>(size);
  return options;
}

RateLimiterOptions RateLimiterOptions::MinSize(int64_t n) {
  RateLimiterOptions options;
  options.min_size_to_sample = n;
  options.Validate();
  return options;
}

GlobalRateLimiterState GlobalRateLimiterState::Aggregate(
    const std::vector<RateLimiterState>& shards) {
  GlobalRateLimiterState global;
  for (const RateLimiterState& shard : shards) {
    global.inserts += shard.inserts;
    global.samples += shard.samples;
  }
  return global;
}

RateLimiter::RateLimiter(const RateLimiterOptions& options) : options_(options) {
  options_.Validate();
}

int64_t RateLimiter::inserts_for_ratio() const {
  return external_ ? external_inserts_ + inserts_ : inserts_;
}

int64_t RateLimiter::samples_for_ratio() const {
  return external_ ? external_samples_ + samples_ : samples_;
}

double RateLimiter::diff() const {
  return static_cast<double>(inserts_for_ratio()) * options_.samples_per_insert -
         static_cast<double>(samples_for_ratio());
}

bool RateLimiter::CanInsert(int64_t n) const {
  CheckCount(n, "insert");
  // Filling up to the minimum size is never limited.
  if (size() + n <= options_.min_size_to_sample) return true;
  const double diff = static_cast<double>(inserts_for_ratio() + n) * options_.samples_per_insert -
                      static_cast<double>(samples_for_ratio());
  return diff <= options_.max_diff;
}

bool RateLimiter::CanSample(int64_t n) const {
  CheckCount(n, "sample");
  if (size() < options_.min_size_to_sample) return false;
  return diff() - static_cast<double>(n) >= options_.min_diff;
}

void RateLimiter::SetExternalCounts(const GlobalRateLimiterState& global,
                                    int64_t own_inserts_included, int64_t own_samples_included) {
  if (global.inserts < 0 || global.samples < 0 || own_inserts_included < 0 ||
      own_samples_included < 0 || own_inserts_included > global.inserts ||
      own_samples_included > global.samples) {
    throw std::invalid_argument(
        "RateLimiter::SetExternalCounts: counts must be >= 0 and own counts <= global ones");
  }
  external_ = true;
  external_inserts_ = global.inserts - own_inserts_included;
  external_samples_ = global.samples - own_samples_included;
}

void RateLimiter::SetExternalCounts(int64_t global_inserts, int64_t global_samples) {
  GlobalRateLimiterState global{global_inserts, global_samples};
  SetExternalCounts(global, std::min(inserts_, global_inserts), std::min(samples_, global_samples));
}

RateLimiterState RateLimiter::state() const {
  RateLimiterState state;
  state.inserts = inserts_;
  state.samples = samples_;
  state.deletes = deletes_;
  state.insert_blocked_seconds = insert_blocked_seconds_;
  state.sample_blocked_seconds = sample_blocked_seconds_;
  return state;
}

void RateLimiter::Restore(const RateLimiterState& state) {
  if (state.inserts < 0 || state.samples < 0 || state.deletes < 0 ||
      state.deletes > state.inserts) {
    throw std::invalid_argument("RateLimiter::Restore: inconsistent counters");
  }
  inserts_ = state.inserts;
  samples_ = state.samples;
  deletes_ = state.deletes;
  insert_blocked_seconds_ = state.insert_blocked_seconds;
  sample_blocked_seconds_ = state.sample_blocked_seconds;
  external_ = false;
}

BlockingRateLimiter::BlockingRateLimiter(RateLimiter* limiter) : limiter_(limiter) {
  if (limiter == nullptr) throw std::invalid_argument("BlockingRateLimiter: null limiter");
}

bool BlockingRateLimiter::AwaitCanInsert(Duration timeout, int64_t n,
                                         const std::function<void()>& then) {
  return Await(timeout, /*insert=*/true, n, then);
}

bool BlockingRateLimiter::AwaitCanSample(Duration timeout, int64_t n,
                                         const std::function<void()>& then) {
  return Await(timeout, /*insert=*/false, n, then);
}

bool BlockingRateLimiter::Await(Duration timeout, bool insert, int64_t n,
                                const std::function<void()>& then) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  std::unique_lock<std::mutex> lock(mutex_);
  std::condition_variable& cv = insert ? can_insert_ : can_sample_;
  const auto allowed = [&] {
    return cancelled_ || (insert ? limiter_->CanInsert(n) : limiter_->CanSample(n));
  };
  bool blocked = false;
  while (!allowed()) {
    blocked = true;
    if (cv.wait_until(lock, deadline) == std::cv_status::timeout && !allowed()) break;
  }
  if (blocked) {
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (insert) {
      limiter_->AddInsertBlockedSeconds(waited);
    } else {
      limiter_->AddSampleBlockedSeconds(waited);
    }
  }
  if (cancelled_ || !allowed()) return false;
  if (then) {
    then();
  } else if (insert) {
    limiter_->OnInsert(n);
  } else {
    limiter_->OnSample(n);
  }
  lock.unlock();
  can_insert_.notify_all();
  can_sample_.notify_all();
  return true;
}

void BlockingRateLimiter::Run(const std::function<void()>& f) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    f();
  }
  can_insert_.notify_all();
  can_sample_.notify_all();
}

void BlockingRateLimiter::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  can_insert_.notify_all();
  can_sample_.notify_all();
}

}  // namespace rlfleet
