#include "replay/flat_key_map.h"

#include <gtest/gtest.h>

#include <unordered_map>

#include "core/random.h"

namespace rlfleet {
namespace {

TEST(FlatKeyMapTest, MatchesUnorderedMapOnRandomOperations) {
  FlatKeyMap map;
  std::unordered_map<uint64_t, uint64_t> reference;
  Rng rng(7);
  for (int step = 0; step < 200000; ++step) {
    const uint64_t key = rng.UniformInt(3000);  // many collisions and re-insertions
    const uint64_t op = rng.UniformInt(3);
    if (op == 0) {
      const bool inserted = map.Insert(key, step);
      EXPECT_EQ(inserted, reference.emplace(key, step).second);
    } else if (op == 1) {
      EXPECT_EQ(map.Erase(key), reference.erase(key) == 1);
    } else {
      const uint64_t* found = map.Find(key);
      auto it = reference.find(key);
      ASSERT_EQ(found != nullptr, it != reference.end());
      if (found != nullptr) {
        EXPECT_EQ(*found, it->second);
      }
    }
    ASSERT_EQ(map.size(), reference.size());
  }
  for (const auto& [key, value] : reference) {
    ASSERT_NE(map.Find(key), nullptr);
    EXPECT_EQ(*map.Find(key), value);
  }
}

}  // namespace
}  // namespace rlfleet
