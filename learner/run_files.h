#ifndef RLFLEET_LEARNER_RUN_FILES_H_
#define RLFLEET_LEARNER_RUN_FILES_H_

#include <cstdint>
#include <string>

namespace rlfleet {

// Helpers shared by the learners (learner.h, apex_learner.h) for the run directory.

// "ckpt-<updates, 12 digits>": names sort in update order.
std::string CheckpointName(int64_t updates);

// Keeps the newest `keep` complete checkpoints (ckpt-*, not *.tmp) in `checkpoints_dir`.
void PruneCheckpoints(const std::string& checkpoints_dir, int32_t keep);

// 0 for NaN (JSON and CSV consumers get a number).
double NanToZero(double x);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_RUN_FILES_H_
