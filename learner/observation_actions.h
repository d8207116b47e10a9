#ifndef RLFLEET_LEARNER_OBSERVATION_ACTIONS_H_
#define RLFLEET_LEARNER_OBSERVATION_ACTIONS_H_

// `rlfleet eval RUN_DIR --observations OBS.csv --actions-out ACTIONS.csv`: the greedy actions
// of a checkpoint (LearnerAlgorithm::EvalActions, greedy) for given observations, without
// running episodes; the reference an exported policy (`rlfleet export`) is compared with.
//
// OBS.csv: one observation a line, D comma-separated numbers (the env's observation size);
// empty lines are skipped, nothing else is allowed (no header). ACTIONS.csv: one line per
// observation in the same order: the action index (discrete) or A comma-separated numbers
// (continuous, printed with 9 significant digits: float32 values read back exactly).

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

struct ObservationActionsOptions {
  std::string run_dir;
  std::string checkpoint;  // "": the newest (learner/policy_checkpoint.h)
  std::string observations_path;
  std::string actions_path;
  // Throws std::invalid_argument naming the first empty field.
  void Validate() const;
};

// Reads `path` as rows of `size` numbers (row-major). Throws std::runtime_error naming the file
// and the line for a row of another length or a value that is not a number, and the file when
// it cannot be read.
std::vector<float> ReadObservationsCsv(const std::string& path, int32_t size);

// Loads the checkpoint, reads the observations, writes their greedy actions (atomically);
// returns the number of rows. Throws as LoadPolicyCheckpoint and ReadObservationsCsv.
int64_t WriteObservationActions(const ObservationActionsOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_OBSERVATION_ACTIONS_H_
