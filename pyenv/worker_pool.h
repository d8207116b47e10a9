#ifndef RLFLEET_PYENV_WORKER_POOL_H_
#define RLFLEET_PYENV_WORKER_POOL_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "core/env_spec.h"
#include "core/file_util.h"
#include "envs/vector_env.h"
#include "pyenv/child_process.h"
#include "pyenv/python_vector_env.h"

namespace rlfleet {

// The worker processes behind PythonVectorEnv and MakePythonEnv: starts them, talks the
// protocol of python/rlfleet_env_worker.py to them, checks every reply, and restarts a worker
// that exits, stops answering or sends a bad reply. Owns a ZeroMQ context, a private temporary
// directory for the ipc endpoints, one PAIR socket per worker incarnation and the processes;
// the destructor asks every worker to close, waits up to 1 s, then kills and reaps the rest.
// Not thread-safe. Blocking as PythonVectorEnv says.
class PythonWorkerPool {
 public:
  // Starts options.num_workers workers (options.Validate() is called) and waits up to
  // start_timeout_seconds for each to report its spec. Throws std::runtime_error naming the
  // callable and the interpreter with the reason when a worker cannot start; no process is
  // left behind.
  explicit PythonWorkerPool(const PythonEnvOptions& options);
  ~PythonWorkerPool();
  PythonWorkerPool(const PythonWorkerPool&) = delete;
  PythonWorkerPool& operator=(const PythonWorkerPool&) = delete;

  const EnvSpec& spec() const { return spec_; }
  int32_t num_envs() const { return options_.num_envs; }
  const std::string& interpreter_description() const { return interpreter_description_; }
  const EnvFaultCounters& counters() const { return counters_; }
  // "env.python 'module:fn' (interpreter PATH)": the prefix of every error message.
  const std::string& description() const { return description_; }
  // What the most recent fault was (for EnvFault messages); empty before any.
  const std::string& last_fault() const { return last_fault_; }

  // Resets env i with seeds[i] (nullopt: reset() without a seed); writes num_envs × D floats.
  // An env whose reset failed was replaced by its worker (fresh seed) and is counted in
  // env_errors; a worker that fails is restarted (its envs reset with fresh seeds). Returns
  // how many envs were not reset as asked (those two cases). seeds.size() must be num_envs.
  int32_t Reset(const std::vector<std::optional<uint64_t>>& seeds, float* observations);

  // VectorEnv::Step with a non-null `dropped`; rewards go to `rewards` (float) and/or
  // `rewards64` (double), either may be null. Discrete actions are checked first
  // (std::invalid_argument, nothing sent). Returns the number of dropped envs.
  int32_t Step(const float* actions, float* observations, float* rewards, double* rewards64,
               uint8_t* terminated, uint8_t* truncated, float* final_observations,
               uint8_t* dropped);

 private:
  struct Worker;
  enum class Fault { kNone, kExited, kTimedOut, kBadReply };
  struct Outcome {
    Fault fault = Fault::kNone;
    std::string message;
  };
  using Clock = std::chrono::steady_clock;

  static Clock::time_point DeadlineAfter(double seconds);

  // Starts a new incarnation of each listed worker (socket, process, init) in parallel and
  // returns one error message per id ("" when it started with the expected spec).
  std::vector<std::string> StartWorkers(const std::vector<int32_t>& ids);
  void StopWorker(Worker& w);
  // Restarts the listed workers, resets their envs with fresh seeds into `observations`;
  // after 3 failed attempts throws std::runtime_error (and the pool refuses further use).
  void RestartWorkers(std::vector<int32_t> ids, float* observations);
  Outcome Send(Worker& w, const std::string& header, const void* data, size_t bytes,
               Clock::time_point deadline);
  // Waits until `deadline` for one reply from each worker in ids whose outcome has no fault;
  // calls check(w) on each complete reply (the frames are in w), which returns "" or an error.
  template <typename Check>
  void Gather(const std::vector<int32_t>& ids, Clock::time_point deadline, Check check,
              std::vector<Outcome>* outcomes);
  // Reads one multipart message without blocking: 1 complete, 0 nothing there, -1 bad.
  int Receive(Worker& w);
  std::string CheckInitReply(Worker& w);
  // Checks a reset reply and copies its observations; adds its failed envs to *num_failed.
  std::string CheckResetReply(Worker& w, float* observations, int32_t* num_failed);
  std::string CheckStepReply(Worker& w);
  void MergeStepReply(const Worker& w, float* observations, float* rewards, double* rewards64,
                      uint8_t* terminated, uint8_t* truncated, float* final_observations,
                      uint8_t* dropped);
  std::string FaultText(const Worker& w, const Outcome& outcome, const char* request) const;
  void CheckUsable() const;

  PythonEnvOptions options_;
  nlohmann::json kwargs_;
  std::string description_;    // "env.python '...' (interpreter ...)"
  std::string worker_script_;  // <python dir>/rlfleet_env_worker.py
  // Declared before workers_: sockets close before the directory and the context go.
  zmq::context_t context_;
  TempDir dir_;
  std::vector<std::unique_ptr<Worker>> workers_;
  EnvSpec spec_;
  bool have_spec_ = false;
  std::string interpreter_description_;
  EnvFaultCounters counters_;
  std::string last_fault_;
  std::string broken_;  // why the pool cannot be used any more (a restart failed); "" if it can
  std::vector<zmq::pollitem_t> poll_items_;
  std::vector<int32_t> poll_ids_;
};

}  // namespace rlfleet

#endif  // RLFLEET_PYENV_WORKER_POOL_H_
