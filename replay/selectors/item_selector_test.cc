// The contract every selector shares: total_weight() is the mass its draws are proportional to,
// which is what sampling across shards splits a batch by (Table::priority_mass).
#include "replay/selectors/item_selector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/random.h"
#include "replay/table.h"

namespace rlfleet {
namespace {

// Naive reference: draw probability of key k is weight(k) / Σ weights, with weight p^α for the
// prioritized selector and 1 for every other one.
double NaiveWeight(const std::string& name, double priority, double alpha) {
  return name == "prioritized" ? std::pow(priority, alpha) : 1.0;
}

TEST(ItemSelectorTest, TotalWeightIsTheMassDrawsAreProportionalTo) {
  const double alpha = 0.7;
  for (const std::string name : {"uniform", "fifo", "lifo", "prioritized"}) {
    SCOPED_TRACE(name);
    auto selector = MakeItemSelector(name, alpha);
    EXPECT_EQ(selector->total_weight(), 0.0);
    double expected = 0.0;
    for (Key key = 0; key < 12; ++key) {
      const double priority = 0.5 + static_cast<double>(key);
      selector->Insert(key, priority);
      expected += NaiveWeight(name, priority, alpha);
    }
    selector->Update(3, 9.0);
    expected += NaiveWeight(name, 9.0, alpha) - NaiveWeight(name, 3.5, alpha);
    selector->Delete(5);
    expected -= NaiveWeight(name, 5.5, alpha);
    EXPECT_NEAR(selector->total_weight(), expected, 1e-9 * expected);
    if (name == "uniform" || name == "prioritized") {
      // A draw's probability is its weight over the total.
      Rng rng(4);
      for (int i = 0; i < 20; ++i) {
        const Selection s = selector->Sample(rng);
        const double priority = s.key == 3 ? 9.0 : 0.5 + static_cast<double>(s.key);
        EXPECT_NEAR(s.probability, NaiveWeight(name, priority, alpha) / expected, 1e-12);
      }
    }
    selector->Clear();
    EXPECT_EQ(selector->total_weight(), 0.0);
  }
}

TEST(ItemSelectorTest, TablePriorityMassIsItsSamplersTotalWeight) {
  for (const std::string name : {"uniform", "fifo", "prioritized"}) {
    SCOPED_TRACE(name);
    TableOptions options;
    options.name = "t";
    options.sampler = name;
    options.remover = "fifo";
    options.max_size = 10;
    options.priority_exponent = 0.5;
    Table table(options);
    table.Insert("a", 4.0);
    table.Insert("b", 9.0);
    EXPECT_DOUBLE_EQ(table.priority_mass(), name == "prioritized" ? 2.0 + 3.0 : 2.0);
  }
}

}  // namespace
}  // namespace rlfleet
