#include "replay/selectors/item_selector.h"

#include <cmath>
#include <stdexcept>

#include "replay/selectors/insertion_order.h"
#include "replay/selectors/prioritized.h"
#include "replay/selectors/uniform.h"

namespace rlfleet {

bool IsSelectorName(const std::string& name) {
  return name == "uniform" || name == "fifo" || name == "lifo" || name == "prioritized";
}

std::unique_ptr<ItemSelector> MakeItemSelector(const std::string& name, double priority_exponent) {
  if (name == "uniform") return std::make_unique<UniformSelector>();
  if (name == "fifo") {
    return std::make_unique<InsertionOrderSelector>(InsertionOrderSelector::End::kOldest);
  }
  if (name == "lifo") {
    return std::make_unique<InsertionOrderSelector>(InsertionOrderSelector::End::kNewest);
  }
  if (name == "prioritized") return std::make_unique<PrioritizedSelector>(priority_exponent);
  throw std::invalid_argument("unknown selector '" + name +
                              "' (expected uniform, fifo, lifo or prioritized)");
}

void CheckPriority(double priority) {
  if (!(priority >= 0.0) || !std::isfinite(priority)) {
    throw std::invalid_argument("priority must be finite and >= 0, got " +
                                std::to_string(priority));
  }
}

}  // namespace rlfleet
