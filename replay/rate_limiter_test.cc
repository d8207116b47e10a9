#include "replay/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace rlfleet {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, InsertsBlockWhenTooFarAheadOfSamples) {
  // Ratio 2 samples per insert once 3 items are in, error buffer ±4 around offset 6.
  RateLimiter limiter(RateLimiterOptions::SampleToInsertRatio(2.0, 3, 4.0));
  EXPECT_EQ(limiter.options().min_diff, 2.0);
  EXPECT_EQ(limiter.options().max_diff, 10.0);
  // Filling up to min_size_to_sample is never limited.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.CanInsert());
    limiter.OnInsert();
  }
  // diff after 4 inserts = 8 <= 10, after 5 = 10 <= 10, after 6 = 12 > 10.
  EXPECT_TRUE(limiter.CanInsert(2));
  EXPECT_FALSE(limiter.CanInsert(3));
  limiter.OnInsert(2);
  EXPECT_FALSE(limiter.CanInsert());
  // Two samples make room for one insert.
  limiter.OnSample(2);
  EXPECT_TRUE(limiter.CanInsert());
  EXPECT_FALSE(limiter.CanInsert(2));
}

TEST(RateLimiterTest, SamplesBlockBelowMinSizeAndWhenOutrunningInserts) {
  RateLimiter limiter(RateLimiterOptions::SampleToInsertRatio(2.0, 3, 4.0));
  limiter.OnInsert(2);
  EXPECT_FALSE(limiter.CanSample());  // size 2 < 3
  limiter.OnInsert();
  EXPECT_EQ(limiter.diff(), 6.0);
  // diff − n >= min_diff (2): up to 4 samples.
  EXPECT_TRUE(limiter.CanSample(4));
  EXPECT_FALSE(limiter.CanSample(5));
  limiter.OnSample(4);
  EXPECT_FALSE(limiter.CanSample());
  limiter.OnInsert();  // diff 4
  EXPECT_TRUE(limiter.CanSample(2));
  EXPECT_FALSE(limiter.CanSample(3));
  // Deletes shrink the size below the minimum: samples wait again.
  limiter.OnDelete(2);
  EXPECT_EQ(limiter.size(), 2);
  EXPECT_FALSE(limiter.CanSample());
  EXPECT_THROW(limiter.CanSample(0), std::invalid_argument);
  EXPECT_THROW(limiter.CanInsert(-1), std::invalid_argument);
}

TEST(RateLimiterTest, PresetsAndValidation) {
  RateLimiter queue(RateLimiterOptions::Queue(2));
  EXPECT_FALSE(queue.CanSample());
  queue.OnInsert();
  queue.OnInsert();
  EXPECT_FALSE(queue.CanInsert());  // 3 unsampled items > 2
  EXPECT_TRUE(queue.CanSample(2));
  EXPECT_FALSE(queue.CanSample(3));
  queue.OnSample();
  queue.OnDelete();
  EXPECT_TRUE(queue.CanInsert());

  RateLimiter min_size(RateLimiterOptions::MinSize(5));
  min_size.OnInsert(4);
  EXPECT_FALSE(min_size.CanSample());
  min_size.OnInsert(1000);
  EXPECT_TRUE(min_size.CanInsert(1000000));
  EXPECT_TRUE(min_size.CanSample(1000000));

  EXPECT_THROW(RateLimiterOptions::SampleToInsertRatio(4.0, 10, 3.0), std::invalid_argument);
  EXPECT_THROW(RateLimiterOptions::SampleToInsertRatio(1.0, 10, 20.0, 30.0), std::invalid_argument);
  EXPECT_THROW(RateLimiterOptions::MinSize(0), std::invalid_argument);
  RateLimiterOptions bad;
  bad.samples_per_insert = 0;
  EXPECT_THROW(bad.Validate(), std::invalid_argument);
  bad = {};
  bad.min_diff = 5;
  bad.max_diff = 4;
  EXPECT_THROW(bad.Validate(), std::invalid_argument);
  EXPECT_THROW(RateLimiter{bad}, std::invalid_argument);
}

TEST(RateLimiterTest, TwoShardsFedTheSameGlobalCountsAgree) {
  // Global ratio 1 sample per insert, ±3. Shard A gets all inserts, the learner samples B only.
  const RateLimiterOptions options = RateLimiterOptions::SampleToInsertRatio(1.0, 1, -3.0, 3.0);
  RateLimiter a(options);
  RateLimiter b(options);
  a.OnInsert(3);
  b.OnInsert(1);
  // Locally A sees 3 unsampled inserts (diff 3) and may not insert; B may not sample twice
  // (its diff is 1 − 2 = −1 >= −3, allowed locally, fine) — but globally:
  GlobalRateLimiterState global = GlobalRateLimiterState::Aggregate({a.state(), b.state()});
  EXPECT_EQ(global.inserts, 4);
  a.SetExternalCounts(global, a.inserts(), a.samples());
  b.SetExternalCounts(global, b.inserts(), b.samples());
  EXPECT_EQ(a.diff(), 4.0);
  EXPECT_EQ(b.diff(), 4.0);
  EXPECT_FALSE(a.CanInsert());  // global diff 5 > 3
  EXPECT_FALSE(b.CanInsert());
  // B may sample up to 7 globally (4 − 7 = −3), although it holds one item.
  EXPECT_TRUE(b.CanSample(7));
  EXPECT_FALSE(b.CanSample(8));
  b.OnSample(3);  // B's own activity counts at once, before the next global update
  EXPECT_EQ(b.diff(), 1.0);
  EXPECT_TRUE(b.CanInsert());
  // A learns of B's samples with the next aggregate; both then agree again.
  global = GlobalRateLimiterState::Aggregate({a.state(), b.state()});
  a.SetExternalCounts(global.inserts, global.samples);
  b.SetExternalCounts(global.inserts, global.samples);
  EXPECT_EQ(a.diff(), b.diff());
  EXPECT_TRUE(a.CanInsert());
  EXPECT_EQ(a.CanInsert(3), b.CanInsert(3));
  // The size condition stays local: A holds 3 items, B 1.
  RateLimiter c(RateLimiterOptions::SampleToInsertRatio(1.0, 2, -3.0, 3.0));
  c.OnInsert(1);
  c.SetExternalCounts(100, 0);
  EXPECT_FALSE(c.CanSample());
  c.ClearExternalCounts();
  EXPECT_EQ(c.diff(), 1.0);
  EXPECT_THROW(c.SetExternalCounts(GlobalRateLimiterState{1, 1}, 2, 0), std::invalid_argument);
}

TEST(RateLimiterTest, StateRoundTrip) {
  RateLimiter limiter(RateLimiterOptions::MinSize(2));
  limiter.OnInsert(5);
  limiter.OnSample(3);
  limiter.OnDelete(1);
  limiter.AddInsertBlockedSeconds(1.5);
  limiter.AddSampleBlockedSeconds(0.25);
  RateLimiter restored(RateLimiterOptions::MinSize(2));
  restored.Restore(limiter.state());
  EXPECT_EQ(restored.inserts(), 5);
  EXPECT_EQ(restored.samples(), 3);
  EXPECT_EQ(restored.deletes(), 1);
  EXPECT_EQ(restored.state().insert_blocked_seconds, 1.5);
  EXPECT_EQ(restored.state().sample_blocked_seconds, 0.25);
}

TEST(BlockingRateLimiterTest, SampleTimesOutThenWakesOnInsert) {
  RateLimiter limiter(RateLimiterOptions::MinSize(2));
  BlockingRateLimiter blocking(&limiter);
  EXPECT_FALSE(blocking.AwaitCanSample(milliseconds(20)));  // nothing in
  EXPECT_TRUE(blocking.AwaitCanInsert(milliseconds(0)));
  std::atomic<bool> sampled{false};
  std::thread sampler([&] { sampled = blocking.AwaitCanSample(std::chrono::seconds(30)); });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_TRUE(blocking.AwaitCanInsert(milliseconds(0)));  // second item: the sampler may go
  sampler.join();
  EXPECT_TRUE(sampled);
  blocking.Run([&] {
    EXPECT_EQ(limiter.samples(), 1);
    EXPECT_GT(limiter.state().sample_blocked_seconds, 0.0);
  });
}

TEST(BlockingRateLimiterTest, InsertTimesOutThenWakesOnSample) {
  RateLimiter limiter(RateLimiterOptions::Queue(1));
  BlockingRateLimiter blocking(&limiter);
  EXPECT_TRUE(blocking.AwaitCanInsert(milliseconds(0)));
  EXPECT_FALSE(blocking.AwaitCanInsert(milliseconds(20)));  // the queue is full
  std::atomic<bool> inserted{false};
  std::thread inserter([&] { inserted = blocking.AwaitCanInsert(std::chrono::seconds(30)); });
  std::this_thread::sleep_for(milliseconds(20));
  // The consumer takes the item and deletes it (a queue): the producer may go on.
  EXPECT_TRUE(blocking.AwaitCanSample(milliseconds(0), 1, [&] {
    limiter.OnSample();
    limiter.OnDelete();
  }));
  inserter.join();
  EXPECT_TRUE(inserted);
  blocking.Run([&] { EXPECT_EQ(limiter.inserts(), 2); });
}

TEST(BlockingRateLimiterTest, CancelWakesWaiters) {
  RateLimiter limiter(RateLimiterOptions::MinSize(1));
  BlockingRateLimiter blocking(&limiter);
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = blocking.AwaitCanSample(std::chrono::seconds(30)) ? 1 : 0; });
  std::this_thread::sleep_for(milliseconds(20));
  blocking.Cancel();
  waiter.join();
  EXPECT_EQ(result, 0);
  EXPECT_FALSE(blocking.AwaitCanInsert(milliseconds(0)));
}

}  // namespace
}  // namespace rlfleet
