#include "learner/run_files.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <vector>

namespace rlfleet {
namespace fs = std::filesystem;

std::string CheckpointName(int64_t updates) {
  std::ostringstream name;
  name << "ckpt-" << std::setw(12) << std::setfill('0') << updates;
  return name.str();
}

void PruneCheckpoints(const std::string& checkpoints_dir, int32_t keep) {
  std::vector<fs::path> complete;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && name.find(".tmp") == std::string::npos) {
      complete.push_back(entry.path());
    }
  }
  std::sort(complete.begin(), complete.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < complete.size(); ++i) {
    fs::remove_all(complete[i]);
  }
}

double NanToZero(double x) { return std::isnan(x) ? 0.0 : x; }

}  // namespace rlfleet
