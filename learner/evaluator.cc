#include "learner/evaluator.h"

#include <torch/script.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "algorithms/greedy_policy.h"
#include "core/clock.h"
#include "core/logging.h"
#include "core/random.h"
#include "learner/play_episode.h"
#include "pyenv/env_factory.h"
#include "render/video_recorder.h"

namespace rlfleet {
namespace fs = std::filesystem;

void EvaluatorOptions::Validate() const {
  if (eval_episodes <= 0) {
    throw std::invalid_argument("EvaluatorOptions: eval_episodes must be positive, got " +
                                std::to_string(eval_episodes));
  }
}

namespace {

struct Job {
  GreedyPolicy policy;  // a CPU copy (CopyGreedyPolicy)
  int64_t index = 0;
  int64_t updates = 0;
  int64_t env_steps = 0;
};

GreedyPolicy Snapshot(const LearnerAlgorithm& algorithm) {
  GreedyPolicy policy;
  algorithm.DescribeGreedyPolicy(&policy);
  return CopyGreedyPolicy(policy);
}

// The compiled policy as PlayEpisode's policy: one observation in, the action out (a discrete
// action as its index). The module is kept alive by the caller.
EpisodePolicy ModulePolicy(torch::jit::Module& module, const GreedyPolicy& policy) {
  const int64_t d = policy.observation_size;
  const bool discrete = policy.discrete();
  return [&module, d, discrete](const float* observation, float* action) {
    const torch::Tensor input =
        torch::from_blob(const_cast<float*>(observation), {1, d}, torch::kFloat);
    const torch::Tensor out = module.forward({input}).toTensor();
    if (discrete) {
      action[0] = static_cast<float>(out.item<int64_t>());
      return;
    }
    const torch::Tensor values = out.contiguous();
    const float* data = values.data_ptr<float>();
    std::copy(data, data + values.numel(), action);
  };
}

}  // namespace

struct Evaluator::Impl {
  EvaluatorOptions options;

  std::mutex mutex;
  std::condition_variable wake;     // a job was queued, or stop
  std::condition_variable settled;  // a job finished
  std::optional<Job> pending_evaluation;
  std::optional<Job> pending_video;
  bool busy = false;
  bool stop = false;
  std::vector<EvaluationResult> results;
  int64_t skipped = 0;
  int64_t skipped_videos = 0;
  int64_t videos = 0;
  int64_t video_failures = 0;

  // The thread's own.
  std::unique_ptr<Env> eval_env;
  std::unique_ptr<Env> video_env;
  std::thread thread;

  explicit Impl(EvaluatorOptions o) : options(std::move(o)) {}

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mutex);
    return stop;
  }

  void Loop() {
    torch::NoGradGuard no_grad;
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      wake.wait(lock, [this] { return stop || pending_evaluation || pending_video; });
      if (stop) return;
      const bool evaluation = pending_evaluation.has_value();
      Job job = std::move(evaluation ? *pending_evaluation : *pending_video);
      (evaluation ? pending_evaluation : pending_video).reset();
      busy = true;
      lock.unlock();
      std::optional<EvaluationResult> result;
      if (evaluation) {
        result = Evaluate(job);
      } else {
        Film(job);
      }
      lock.lock();
      busy = false;
      if (result) results.push_back(*result);
      settled.notify_all();
    }
  }

  // learner.eval_episodes greedy episodes; nullopt when the evaluator stops in between.
  std::optional<EvaluationResult> Evaluate(const Job& job) {
    Stopwatch watch;
    EvaluationResult result;
    result.index = job.index;
    result.updates = job.updates;
    result.env_steps = job.env_steps;
    double sum = 0.0;
    try {
      torch::jit::Module module = ScriptGreedyPolicy(job.policy);
      const EpisodePolicy policy = ModulePolicy(module, job.policy);
      if (eval_env == nullptr) eval_env = MakeEnv(options.env);
      for (int32_t episode = 0; episode < options.eval_episodes; ++episode) {
        if (Stopping()) return std::nullopt;
        eval_env->Seed(DeriveSeed(options.seed, "eval_envs", 0) +
                       static_cast<uint64_t>(job.index * options.eval_episodes + episode));
        try {
          const EpisodeOutcome outcome = PlayEpisode(policy, *eval_env);
          sum += outcome.episode_return;
          result.steps += outcome.steps;
          ++result.episodes;
        } catch (const EnvFault& e) {
          RLF_LOG(Warning) << "evaluation episode " << episode << " dropped: " << e.what();
        }
      }
    } catch (const std::exception& e) {
      // An env that cannot be made or fails outside an episode: this evaluation has no result.
      eval_env.reset();
      RLF_LOG(Warning) << "evaluation at " << job.updates << " updates failed: " << e.what();
    }
    if (result.episodes > 0) result.mean_return = sum / static_cast<double>(result.episodes);
    result.seconds = watch.Seconds();
    return result;
  }

  void Film(const Job& job) {
    char name[48];
    std::snprintf(name, sizeof(name), "update-%06lld.mp4", static_cast<long long>(job.updates));
    const fs::path path = fs::path(options.videos_dir) / name;
    bool made = false;
    try {
      fs::create_directories(path.parent_path());
      torch::jit::Module module = ScriptGreedyPolicy(job.policy);
      if (video_env == nullptr) video_env = MakeEnv(options.env);
      VideoRecorder video(*video_env, path.string(), RenderOptions{});
      video_env->Seed(DeriveSeed(options.seed, "video_envs", 0) + static_cast<uint64_t>(job.index));
      PlayEpisode(ModulePolicy(module, job.policy), *video_env, &video);
      video.Finish();
      made = true;
      RLF_LOG(Info) << "video at " << job.updates << " updates: " << path.string() << " ("
                    << video.frames() << " frames)";
    } catch (const std::exception& e) {
      video_env.reset();
      RLF_LOG(Warning) << "no video at " << job.updates << " updates: " << e.what();
    }
    std::lock_guard<std::mutex> lock(mutex);
    ++videos;
    if (!made) ++video_failures;
  }

  // Queues `job` in `slot`, replacing a `what` job that still waits there (counted in
  // `*skipped_count` and logged).
  void Queue(std::optional<Job>* slot, Job job, int64_t* skipped_count, const char* what,
             const char* key) {
    std::lock_guard<std::mutex> lock(mutex);
    if (slot->has_value()) {
      ++*skipped_count;
      if (ShouldLogCount(*skipped_count)) {
        RLF_LOG(Warning) << "the " << what << " of update " << (*slot)->updates
                         << " was skipped: the previous one had not finished (" << *skipped_count
                         << " skipped so far; raise " << key << ")";
      }
    }
    *slot = std::move(job);
    wake.notify_all();
  }
};

Evaluator::Evaluator(EvaluatorOptions options) {
  options.Validate();
  impl_ = std::make_unique<Impl>(std::move(options));
  impl_->thread = std::thread([impl = impl_.get()] { impl->Loop(); });
}

Evaluator::~Evaluator() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void Evaluator::SubmitEvaluation(const LearnerAlgorithm& algorithm, int64_t index, int64_t updates,
                                 int64_t env_steps) {
  impl_->Queue(&impl_->pending_evaluation, Job{Snapshot(algorithm), index, updates, env_steps},
               &impl_->skipped, "evaluation", "learner.eval_interval_updates");
}

void Evaluator::SubmitVideo(const LearnerAlgorithm& algorithm, int64_t index, int64_t updates) {
  if (impl_->options.videos_dir.empty()) {
    throw std::logic_error("Evaluator::SubmitVideo: no videos_dir");
  }
  impl_->Queue(&impl_->pending_video, Job{Snapshot(algorithm), index, updates, 0},
               &impl_->skipped_videos, "video", "learner.video_interval_updates");
}

std::vector<EvaluationResult> Evaluator::TakeResults() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return std::exchange(impl_->results, {});
}

void Evaluator::WaitIdle() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->settled.wait(
      lock, [this] { return !impl_->busy && !impl_->pending_evaluation && !impl_->pending_video; });
}

int64_t Evaluator::skipped_evaluations() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->skipped;
}

int64_t Evaluator::videos() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->videos;
}

int64_t Evaluator::video_failures() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->video_failures;
}

}  // namespace rlfleet
