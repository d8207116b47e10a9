#ifndef RLFLEET_LEARNER_EVALUATOR_H_
#define RLFLEET_LEARNER_EVALUATOR_H_

// The learner's greedy evaluations (learner.eval_interval_updates) and training videos
// (learner.video_interval_updates), played on a thread of their own so that the train thread
// keeps training and publishing while an episode runs.
//
// A job evaluates a snapshot of the weights: Submit* copies the algorithm's greedy policy
// (LearnerAlgorithm::DescribeGreedyPolicy) to the CPU on the calling thread, which takes a few
// copies of the policy network and no episode; the evaluator thread compiles the copy into the
// module that `rlfleet export` writes (algorithms/greedy_policy.h) and plays its episodes with
// it. Its actions are the algorithm's greedy EvalActions: equal for discrete actions, within
// float rounding for continuous ones.
//
// Each kind of job (evaluation, video) has one slot besides the one running: a job submitted
// while another of its kind waits replaces it, and the replaced one is counted as skipped. The
// thread owns its envs (made with MakeEnv on first use, kept for the evaluator's lifetime, so a
// Python env keeps its worker).
//
// Thread safety: every method is called from one thread (the learner's train thread); the
// evaluator's own thread touches only the envs, the copies and the results queue.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "core/run_config.h"

namespace rlfleet {

struct EvaluatorOptions {
  EnvConfig env;      // what each episode is played on
  uint64_t seed = 0;  // run seed: env seeds derive from it and from the job's index
  int32_t eval_episodes = 10;
  std::string videos_dir;  // where videos go (update-<updates>.mp4); empty: no videos

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
};

// One finished evaluation.
struct EvaluationResult {
  int64_t index = 0;      // evaluations submitted before this one (its env seeds follow from it)
  int64_t updates = 0;    // the update count of the weights it evaluated
  int64_t env_steps = 0;  // the run's env-step counter when those weights were taken
  int32_t episodes = 0;   // episodes played to their end (an env fault leaves one out)
  double mean_return = std::numeric_limits<double>::quiet_NaN();  // NaN when episodes == 0
  int64_t steps = 0;                                              // env steps over its episodes
  double seconds = 0.0;  // wall time the evaluator thread spent on it
};

class Evaluator {
 public:
  explicit Evaluator(EvaluatorOptions options);
  // Ends the thread after the episode in progress (a job that is cut short gives no result).
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Queues learner.eval_episodes greedy episodes of `algorithm`'s current policy; env seeds
  // DeriveSeed(seed, "eval_envs", 0) + index · eval_episodes + episode, as before the evaluator
  // had a thread. Throws std::logic_error when the algorithm cannot describe its greedy policy.
  void SubmitEvaluation(const LearnerAlgorithm& algorithm, int64_t index, int64_t updates,
                        int64_t env_steps);
  // Queues one filmed greedy episode into videos_dir/update-<updates>.mp4 (render/); a video
  // that cannot be made (no GL context, no encoder, an env that cannot be drawn) is logged and
  // counted in video_failures().
  void SubmitVideo(const LearnerAlgorithm& algorithm, int64_t index, int64_t updates);

  // The evaluations finished since the last call, in the order they finished. Does not block.
  std::vector<EvaluationResult> TakeResults();
  // Blocks until no job waits or runs.
  void WaitIdle();

  int64_t skipped_evaluations() const;
  int64_t videos() const;          // videos attempted (made or failed)
  int64_t video_failures() const;  // of which not made

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_EVALUATOR_H_
