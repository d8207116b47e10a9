#ifndef RLFLEET_PYENV_PYTHON_VECTOR_ENV_H_
#define RLFLEET_PYENV_PYTHON_VECTOR_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/vector_env.h"

namespace rlfleet {

// A Python object with Gymnasium's API, hosted in worker processes.
struct PythonEnvOptions {
  std::string callable;            // "module:callable", called with kwargs_json's keys as keywords
  std::string kwargs_json = "{}";  // a JSON object's text
  std::vector<std::string> python_path;  // prepended to the workers' sys.path
  std::string interpreter = "/usr/bin/python3";
  std::string env_id;  // the name the spec reports
  int32_t num_envs = 1;
  int32_t num_workers = 1;              // worker w hosts a contiguous slice of the envs
  uint64_t seed = 0;                    // env i: reset(seed=seed + i) at the first Reset
  double timeout_seconds = 60.0;        // a step/reset reply slower than this: worker restarted
  double start_timeout_seconds = 60.0;  // import + call + spaces
  // Auto-reset ended episodes (a VectorEnv); false for the single-env adapter (MakePythonEnv).
  bool autoreset = true;
  // Throws std::invalid_argument naming the bad field.
  void Validate() const;
};

// num_envs Python envs in num_workers worker processes that this object starts, watches and
// restarts (python/rlfleet_env_worker.py, run by `interpreter`), stepped in batches over one
// ZeroMQ PAIR socket per worker (ipc, in a private temporary directory) with raw float32/uint8
// array frames and a short JSON header (the protocol is documented at the top of
// python/rlfleet_env_worker.py; docs/environments.md has the user's view). The worker script
// is found in $RLFLEET_PYTHON_DIR, else in the source tree's python/.
//
// Step sends every worker its slice of the actions, then waits for all replies (the workers
// step in parallel). Faults, as VectorEnv says: an env that raises is dropped by its worker
// (which makes a new one) and counted as env_errors; a reply with the wrong sizes or a
// non-finite value, a worker that exits, or one that does not answer within timeout_seconds is
// killed and restarted with fresh seeds (env i: seed + i + incarnation · 1,000,003), and every
// env it hosted is dropped; a worker that cannot be restarted in 3 attempts makes Step/Reset
// throw std::runtime_error (and the object unusable). A worker that cannot start (import
// error, callable raised, unsupported space) throws std::runtime_error naming the callable and
// the interpreter, with the worker's message. Reset after the first continues the envs'
// streams (reset() without a seed).
//
// Not thread-safe. Blocks in Step/Reset for at most about timeout_seconds (plus a restart).
// The destructor stops and reaps every worker (SIGKILL after a short grace).
class PythonVectorEnv : public VectorEnv {
 public:
  explicit PythonVectorEnv(const PythonEnvOptions& options);  // starts the workers
  ~PythonVectorEnv() override;
  PythonVectorEnv(const PythonVectorEnv&) = delete;
  PythonVectorEnv& operator=(const PythonVectorEnv&) = delete;

  const EnvSpec& spec() const override;
  int32_t num_envs() const override;
  void Reset(float* observations) override;
  void Step(const float* actions, float* observations, float* rewards, uint8_t* terminated,
            uint8_t* truncated, float* final_observations, uint8_t* dropped = nullptr) override;
  EnvFaultCounters fault_counters() const override;

  // The interpreter's sys.executable and version, as the first worker reported them.
  const std::string& interpreter_description() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One Python env as an Env (rlfleet eval, rollout, the learner's evaluation): one worker, no
// auto-reset; Seed(s) makes the next Reset call reset(seed=s). A fault throws EnvFault (after
// the env was replaced or its worker restarted, so the next Reset works); so does a Reset that
// could not use the asked seed. options.num_envs, num_workers and autoreset are overridden.
std::unique_ptr<Env> MakePythonEnv(PythonEnvOptions options);

// Starts one worker, reads the env's spec and stops it: the check a launcher makes before any
// process starts. Throws std::runtime_error naming the callable when it cannot be imported or
// called, or its spaces are not Box/Discrete.
EnvSpec ProbePythonEnvSpec(PythonEnvOptions options);

}  // namespace rlfleet

#endif  // RLFLEET_PYENV_PYTHON_VECTOR_ENV_H_
