#ifndef RLFLEET_LAUNCHER_HEARTBEAT_H_
#define RLFLEET_LAUNCHER_HEARTBEAT_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rlfleet {

// The name of a role in logs, restarts.json and heartbeats: "learner", "shard-<i>", "actor-<i>".
std::string RoleName(const std::string& role, int32_t index);

// The CPU seconds (user + system) this process has used, all its threads together.
double ProcessCpuSeconds();

// A role's heartbeat: <run_dir>/roles/<RoleName>.json, replaced atomically every
// interval_seconds by a thread of its own (the first at once):
//   {"role": "actor", "index": 3, "host": "node7", "pid": 1234, "started": <unix s>,
//    "time": <unix s>, "stopped": false, "cpu_seconds": <s>, <fields()...>}
// cpu_seconds is the process's user + system CPU time (getrusage, all threads) at the write: rates
// between two records divided by a counter's growth give a per-message or per-frame cost
// (scripts/bench_scale.py, docs/scaling.md).
// plus "slurm_job_id" and "slurm_step_id" (strings) when SLURM_JOB_ID / SLURM_STEP_ID are set.
// `fields` runs on that thread (it must be thread-safe) and adds numbers, e.g. env_steps. The
// destructor stops the thread at once and writes a last record with "stopped": true. A write
// that fails (a full disk) is logged once and retried at the next beat.
class Heartbeat {
 public:
  using Fields = std::function<std::vector<std::pair<std::string, double>>()>;

  Heartbeat(const std::string& run_dir, const std::string& role, int32_t index,
            double interval_seconds, Fields fields = {});
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  void Write(bool stopped);

  std::string path_;
  std::string role_;
  int32_t index_;
  std::string host_;
  std::vector<std::pair<std::string, std::string>> slurm_;  // ("slurm_job_id", "4711"), ...
  double started_;
  double interval_seconds_;
  Fields fields_;
  bool warned_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_HEARTBEAT_H_
