// End-to-end on Slurm: Debian's munged, slurmctld and three slurmd (logical nodes on 127.0.0.1)
// started by scripts/slurm_local.sh; `rlfleet slurm` submits a CartPole run as one
// heterogeneous job (learner and shard on one node, four actors on two others), scancel stops
// it with a final checkpoint, and `rlfleet slurm --resume` submits it again to completion.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "core/shell.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

const std::string kSlurmLocal = std::string(RLFLEET_SOURCE_DIR) + "/scripts/slurm_local.sh";

// A Slurm cluster of three logical nodes for this test, on ports of its own, in a short
// temporary directory (slurmstepd's Unix socket paths there must stay under 108 bytes); stopped
// (jobs cancelled, daemons ended) on destruction.
class LocalSlurm {
 public:
  LocalSlurm() : dir_(temp_.path()) {
    const int port = 20000 + static_cast<int>(::getpid() % 2000) * 10;
    ::setenv("RLFLEET_SLURM_PORT", std::to_string(port).c_str(), 1);
    ::setenv("SLURM_CONF", (dir_ + "/slurm.conf").c_str(), 1);
    const auto [code, output] = RunShell("bash " + kSlurmLocal + " up " + dir_ + " 3");
    ok_ = code == 0;
    error_ = output;
  }
  ~LocalSlurm() { RunShell("bash " + kSlurmLocal + " down " + dir_); }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string Logs() const { return RunShell("tail -n 20 " + dir_ + "/log/*.log").second; }

 private:
  TempDir temp_{"rlfslurm"};
  std::string dir_;
  bool ok_ = false;
  std::string error_;
};

bool Installed(const std::string& program) { return RunShell("command -v " + program).first == 0; }

// Whether squeue lists job `job` (any component); false once it has left the queue.
bool JobQueued(int64_t job) {
  const auto [code, output] = RunShell("squeue -h -o %A");
  for (size_t at = 0; at < output.size();) {
    const size_t end = output.find('\n', at);
    const std::string line = output.substr(at, end - at);
    if (!line.empty() && std::atoll(line.c_str()) >= job && std::atoll(line.c_str()) <= job + 1) {
      return true;
    }
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return false;
}

bool WaitUntilGone(int64_t job, int seconds) {
  for (int i = 0; i < seconds * 2; ++i) {
    if (!JobQueued(job)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return false;
}

// Processes whose command line names `run_dir` (roles, supervisors, sruns of the run).
std::vector<pid_t> ProcessesOf(const fs::path& run_dir) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::atoi(name.c_str());
    if (pid == ::getpid()) continue;
    if (testing::Cmdline(pid).find(run_dir.string()) != std::string::npos &&
        testing::ProcessAlive(pid)) {
      pids.push_back(pid);
    }
  }
  return pids;
}

// "submitted batch job N\nrun directory: PATH\n" → {N, PATH}.
std::pair<int64_t, fs::path> Submitted(const std::string& output) {
  const std::string job_key = "submitted batch job ";
  const std::string dir_key = "run directory: ";
  const size_t job_at = output.find(job_key);
  const size_t dir_at = output.find(dir_key);
  if (job_at == std::string::npos || dir_at == std::string::npos) return {-1, {}};
  const size_t dir_end = output.find('\n', dir_at);
  return {std::atoll(output.c_str() + job_at + job_key.size()),
          output.substr(dir_at + dir_key.size(), dir_end - dir_at - dir_key.size())};
}

nlohmann::json ReadJson(const fs::path& path) { return nlohmann::json::parse(ReadFile(path)); }

class SlurmE2eTest : public testing::E2eFixture {
 protected:
  SlurmE2eTest() : E2eFixture("cartpole_impala.yaml") {}
};

// CartPole as one heterogeneous job; scancel stops every role with a final checkpoint; the job
// submitted again resumes from it, completes with a return >= 475, and every role ran as a step
// of that job.
TEST_F(SlurmE2eTest, CartPoleJobStopsOnScancelAndResumesToCompletion) {
  if (::geteuid() != 0) GTEST_SKIP() << "the local Slurm cluster needs root; this test was skipped";
  for (const char* program : {"slurmctld", "slurmd", "munged", "sbatch"}) {
    if (!Installed(program) && !fs::exists(std::string("/usr/sbin/") + program)) {
      GTEST_SKIP() << program << " is not installed (scripts/setup.sh installs Slurm and munge); "
                   << "this test was skipped";
    }
  }
  LocalSlurm slurm;
  ASSERT_TRUE(slurm.ok()) << slurm.error() << slurm.Logs();

  // Servers advertise this machine's host name (the default); where it does not resolve, the
  // nodes' address instead.
  const bool name_resolves = RunShell("getent hosts \"$(hostname)\"").first == 0;
  const std::string advertise = name_resolves ? "" : " --set cluster.advertise_host=127.0.0.1";
  const auto [submit_code, submit_output] =
      RunShell(testing::kRlfleetBinary + " slurm " + config_ + advertise +
               " --actor-nodes 2 --set runs_dir=" + runs_dir_.string() +
               " --set cluster.num_actors=4 --set learner.total_env_steps=2000000" +
               " --set learner.checkpoint_interval_seconds=2");
  ASSERT_EQ(submit_code, 0) << submit_output;
  const auto [first_job, run] = Submitted(submit_output);
  ASSERT_GT(first_job, 0) << submit_output;
  ASSERT_TRUE(fs::exists(run / "slurm" / "job.sbatch"));
  auto logs = [&run = run, &slurm] {
    std::string text = RunShell("tail -n 30 " + (run / "slurm").string() + "/*.out " +
                                (run / "logs").string() + "/*.log")
                           .second;
    return text + slurm.Logs();
  };

  // Part of the way: then scancel.
  bool progressed = false;
  for (int i = 0; i < 240 && !progressed; ++i) {  // up to 2 minutes (a hang guard)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    try {
      progressed = ReadJson(run / "status.json").value("env_steps", int64_t{0}) >= 500000 &&
                   !fs::is_empty(run / "checkpoints");
    } catch (const std::exception&) {
    }
  }
  ASSERT_TRUE(progressed) << logs();
  ASSERT_EQ(RunShell("scancel " + std::to_string(first_job)).first, 0);
  ASSERT_TRUE(WaitUntilGone(first_job, 90)) << logs();
  const auto stopped = ReadJson(run / "summary.json");
  EXPECT_FALSE(stopped["completed"].get<bool>());
  const int64_t steps_at_cancel = stopped["env_steps"].get<int64_t>();
  EXPECT_LT(steps_at_cancel, 2000000);
  for (const auto& entry : fs::directory_iterator(run / "roles")) {
    EXPECT_TRUE(ReadJson(entry.path())["stopped"].get<bool>())
        << entry.path() << " did not stop cleanly\n"
        << logs();
  }
  EXPECT_TRUE(ProcessesOf(run).empty()) << logs();

  // Submitted again: it resumes and completes.
  const auto [resume_code, resume_output] =
      RunShell(testing::kRlfleetBinary + " slurm --resume " + run.string());
  ASSERT_EQ(resume_code, 0) << resume_output;
  const int64_t second_job = Submitted(resume_output).first;
  ASSERT_GT(second_job, first_job) << resume_output;
  ASSERT_TRUE(WaitUntilGone(second_job, 300)) << logs();
  const auto summary = ReadJson(run / "summary.json");
  ASSERT_TRUE(summary["completed"].get<bool>()) << logs();
  EXPECT_GE(summary["env_steps"].get<int64_t>(), 2000000);
  EXPECT_GE(summary["final_mean_return_100"].get<double>(), 475.0) << logs();
  // From the checkpoint written on the way out of the cancelled job.
  EXPECT_NE(ReadFile((run / "logs" / "learner.log").string())
                .find(" at " + std::to_string(steps_at_cancel) + " env steps"),
            std::string::npos)
      << logs();
  const std::string job_output =
      ReadFile((run / "slurm" / ("job-" + std::to_string(second_job) + ".out")).string());
  EXPECT_NE(job_output.find("launch slurm-" + std::to_string(second_job) + "-0"), std::string::npos)
      << job_output;

  // Each role ran as a step of the second job: the learner and the shard in steps of their
  // own, the four actors in one step of the actor component.
  std::set<std::string> steps;
  std::set<std::string> actor_steps;
  for (const std::string role :
       {"learner", "shard-0", "actor-0", "actor-1", "actor-2", "actor-3"}) {
    const auto beat = ReadJson(run / "roles" / (role + ".json"));
    ASSERT_TRUE(beat.contains("slurm_job_id")) << role << ": " << beat.dump();
    EXPECT_EQ(beat["slurm_job_id"], std::to_string(second_job)) << role;
    const std::string step = beat["slurm_step_id"].get<std::string>();
    (role.rfind("actor", 0) == 0 ? actor_steps : steps).insert(step);
  }
  EXPECT_EQ(steps.size(), 2u);        // learner ≠ shard
  EXPECT_EQ(actor_steps.size(), 1u);  // one step, four tasks
  EXPECT_EQ(steps.count(*actor_steps.begin()), 0u);
  EXPECT_TRUE(ProcessesOf(run).empty()) << logs();
}

}  // namespace
}  // namespace rlfleet
