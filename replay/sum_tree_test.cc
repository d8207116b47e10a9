#include "replay/sum_tree.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

// The index a linear scan finds: the first i with prefix < cumulative sum up to i.
size_t NaiveFind(const std::vector<double>& values, double prefix) {
  double cumulative = 0.0;
  for (size_t i = 0; i < values.size(); ++i) {
    cumulative += values[i];
    if (values[i] > 0 && prefix < cumulative) return i;
  }
  return values.size();
}

TEST(SumTreeTest, MatchesNaiveScanOnRandomIntegerValues) {
  // Integer values and half-integer prefixes: every sum is exact, so tree and scan must agree.
  SumTree tree(4);
  std::vector<double> values;
  Rng rng(1);
  for (int step = 0; step < 20000; ++step) {
    const size_t index = rng.UniformInt(values.size() + 2 <= 600 ? values.size() + 2 : 600);
    const double value = rng.UniformInt(4) == 0 ? 0.0 : static_cast<double>(rng.UniformInt(1000));
    if (index >= values.size()) values.resize(index + 1, 0.0);
    values[index] = value;
    tree.Set(index, value);
    double total = 0;
    for (double v : values) total += v;
    ASSERT_EQ(tree.Total(), total);
    if (step % 7 != 0 || total == 0) continue;
    const double prefix = std::floor(rng.Uniform01() * total) + 0.5;
    ASSERT_EQ(tree.Find(prefix), NaiveFind(values, prefix)) << "prefix " << prefix;
    ASSERT_EQ(tree.Get(index), value);
  }
  EXPECT_GE(tree.capacity(), values.size());
}

TEST(SumTreeTest, RealValuesFindAnIntervalContainingThePrefix) {
  SumTree tree;
  std::vector<double> values(1000, 0.0);
  Rng rng(2);
  for (int step = 0; step < 50000; ++step) {
    const size_t index = rng.UniformInt(values.size());
    values[index] = rng.UniformInt(5) == 0 ? 0.0 : std::exp(10 * rng.Uniform01() - 5);
    tree.Set(index, values[index]);
  }
  double total = 0;
  for (double v : values) total += v;
  EXPECT_NEAR(tree.Total(), total, 1e-12 * total);
  for (int i = 0; i < 2000; ++i) {
    const double prefix = rng.Uniform01() * tree.Total();
    const size_t found = tree.Find(prefix);
    ASSERT_GT(values[found], 0.0);  // never a zero leaf
    double before = 0;
    for (size_t j = 0; j < found; ++j) before += values[j];
    EXPECT_LE(before, prefix + 1e-9 * total);
    EXPECT_GT(before + values[found], prefix - 1e-9 * total);
  }
  // Extremes land on positive leaves.
  EXPECT_GT(values[tree.Find(-1.0)], 0.0);
  EXPECT_GT(values[tree.Find(tree.Total())], 0.0);
  EXPECT_GT(values[tree.Find(2 * tree.Total())], 0.0);
}

TEST(SumTreeTest, NoDriftAfterManyUpdates) {
  // After a million updates the total equals a fresh rebuild of the same leaves exactly:
  // internal nodes are recomputed from children, never updated by deltas.
  SumTree tree(1024);
  Rng rng(3);
  for (int step = 0; step < 1000000; ++step) {
    tree.Set(rng.UniformInt(1024), rng.Uniform01() * 1e6);
  }
  const double incremental = tree.Total();
  tree.Rebuild();
  EXPECT_EQ(tree.Total(), incremental);
  for (size_t i = 0; i < 1024; ++i) tree.Set(i, 0.0);
  EXPECT_EQ(tree.Total(), 0.0);  // exactly 0, not a tiny residue
  EXPECT_THROW(tree.Find(0.0), std::logic_error);
}

TEST(SumTreeTest, RejectsInvalidValuesAndGrows) {
  SumTree tree(2);
  EXPECT_THROW(tree.Set(0, -1.0), std::invalid_argument);
  EXPECT_THROW(tree.Set(0, std::nan("")), std::invalid_argument);
  EXPECT_THROW(tree.Set(0, INFINITY), std::invalid_argument);
  tree.Set(0, 1.0);
  tree.Set(100, 3.0);
  EXPECT_GE(tree.capacity(), 101u);
  EXPECT_EQ(tree.Total(), 4.0);
  EXPECT_EQ(tree.Get(0), 1.0);
  EXPECT_EQ(tree.Get(100), 3.0);
  EXPECT_EQ(tree.Find(0.5), 0u);
  EXPECT_EQ(tree.Find(1.5), 100u);
}

}  // namespace
}  // namespace rlfleet
