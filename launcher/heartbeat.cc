#include "launcher/heartbeat.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"

namespace rlfleet {

std::string RoleName(const std::string& role, int32_t index) {
  return role == "learner" ? role : role + "-" + std::to_string(index);
}

double ProcessCpuSeconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0.0;
  const auto seconds = [](const timeval& t) { return t.tv_sec + 1e-6 * t.tv_usec; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Heartbeat::Heartbeat(const std::string& run_dir, const std::string& role, int32_t index,
                     double interval_seconds, Fields fields)
    : path_(run_dir + "/roles/" + RoleName(role, index) + ".json"),
      role_(role),
      index_(index),
      started_(UnixSeconds()),
      interval_seconds_(interval_seconds),
      fields_(std::move(fields)) {
  char name[256] = {};
  host_ = ::gethostname(name, sizeof(name) - 1) == 0 ? name : "unknown";
  // Under Slurm: the job and the step this role runs in (inherited from srun).
  for (const auto& [key, variable] :
       {std::pair<const char*, const char*>{"slurm_job_id", "SLURM_JOB_ID"},
        {"slurm_step_id", "SLURM_STEP_ID"}}) {
    if (const char* value = std::getenv(variable)) slurm_.emplace_back(key, value);
  }
  std::error_code error;
  std::filesystem::create_directories(run_dir + "/roles", error);
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      lock.unlock();
      Write(false);
      lock.lock();
      wake_.wait_for(lock, std::chrono::duration<double>(interval_seconds_),
                     [this] { return stop_; });
    }
  });
}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  Write(true);
}

void Heartbeat::Write(bool stopped) {
  nlohmann::json record = {{"role", role_},       {"index", index_},
                           {"host", host_},       {"pid", static_cast<int64_t>(::getpid())},
                           {"started", started_}, {"time", UnixSeconds()},
                           {"stopped", stopped},  {"cpu_seconds", ProcessCpuSeconds()}};
  for (const auto& [key, value] : slurm_) record[key] = value;
  try {
    if (fields_) {
      for (const auto& [key, value] : fields_()) record[key] = value;
    }
    WriteFileAtomic(path_, record.dump() + "\n");
  } catch (const std::exception& e) {
    if (!warned_) RLF_LOG(Warning) << "cannot write the heartbeat " << path_ << ": " << e.what();
    warned_ = true;
  }
}

}  // namespace rlfleet
