#include "launcher/slurm.h"

#include <gtest/gtest.h>
#include <filesystem>
#include <string>
#include <utility>

#include "core/file_util.h"
#include "core/shell.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

SlurmJobOptions Options(const std::string& run_dir) {
  SlurmJobOptions options;
  options.executable = "/opt/rl/bin/rlfleet";
  options.run_dir = run_dir;
  options.job_name = "rlfleet-test";
  options.num_shards = 2;
  options.actor_nodes = 3;
  options.actors_per_node = 2;
  return options;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SlurmBatchScriptTest, TwoComponentsWithTheirResources) {
  SlurmJobOptions options = Options("/shared/runs/a b");
  options.gpu = true;
  options.partition = "gpu";
  options.time_limit = "4:00:00";
  options.sbatch_options = {"--account=rl"};
  const std::string script = SlurmBatchScript(options);
  const size_t split = script.find("#SBATCH hetjob\n");
  ASSERT_NE(split, std::string::npos) << script;
  const std::string first = script.substr(0, split);
  const std::string second = script.substr(split);
  EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_NE(first.find("#SBATCH --job-name=rlfleet-test\n"), std::string::npos) << first;
  EXPECT_NE(first.find("#SBATCH --output=/shared/runs/a b/slurm/job-%j.out\n"), std::string::npos);
  EXPECT_NE(first.find("#SBATCH --nodes=1\n#SBATCH --ntasks=3\n"), std::string::npos) << first;
  EXPECT_NE(first.find("#SBATCH --gres=gpu:1\n"), std::string::npos);
  EXPECT_EQ(second.find("--gres"), std::string::npos);
  EXPECT_NE(second.find("#SBATCH --nodes=3\n#SBATCH --ntasks-per-node=2\n"), std::string::npos);
  for (const std::string* part : {&first, &second}) {
    EXPECT_NE(part->find("#SBATCH --partition=gpu\n"), std::string::npos) << *part;
    EXPECT_NE(part->find("#SBATCH --time=4:00:00\n"), std::string::npos) << *part;
    EXPECT_NE(part->find("#SBATCH --account=rl\n"), std::string::npos) << *part;
  }
  EXPECT_NE(script.find("run_dir='/shared/runs/a b'\n"), std::string::npos);
  EXPECT_NE(script.find("num_actors=6\n"), std::string::npos);
  EXPECT_EQ(SlurmBatchScript(Options("/r")).find("--gres"), std::string::npos);
  // bash accepts it.
  TempDir dir("rlfleet-slurm-test");
  WriteFileAtomic(dir.path() + "/job.sbatch", script);
  const auto [code, output] = RunShell("bash -n " + dir.path() + "/job.sbatch");
  EXPECT_EQ(code, 0) << output;
}

TEST(SlurmBatchScriptTest, OptionsThatWouldBreakTheScriptAreRefused) {
  SlurmJobOptions options = Options("/r");
  options.run_dir = "runs/relative";
  EXPECT_THROW(SlurmBatchScript(options), std::invalid_argument);
  options = Options("/r\n#SBATCH --x");
  EXPECT_THROW(SlurmBatchScript(options), std::invalid_argument);
  options = Options("/r");
  options.job_name = "a'b";
  EXPECT_THROW(SlurmBatchScript(options), std::invalid_argument);
  options = Options("/r");
  options.actor_nodes = 0;
  EXPECT_THROW(SlurmBatchScript(options), std::invalid_argument);
  options = Options("/r");
  options.sbatch_options = {"account=rl"};
  EXPECT_THROW(SlurmBatchScript(options), std::invalid_argument);
}

TEST(SlurmBatchScriptTest, JobIdFromSbatchParsable) {
  EXPECT_EQ(ParseSbatchJobId("1234\n"), 1234);
  EXPECT_EQ(ParseSbatchJobId("77;cluster\n"), 77);
  EXPECT_THROW(ParseSbatchJobId("sbatch: error: Batch job submission failed\n"),
               std::runtime_error);
  EXPECT_THROW(ParseSbatchJobId(""), std::runtime_error);
  EXPECT_THROW(ParseSbatchJobId("12x\n"), std::runtime_error);
}

// The script's own logic, run by bash with a stand-in `srun` (runs its command once per task
// with SLURM_PROCID, forwards SIGTERM) and a stand-in rlfleet that logs how it was started: the
// learner ends after a moment; the other roles run until SIGTERM, unless told to fail.
class SlurmScriptRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string d = dir_.path();
    fs::create_directories(d + "/bin");
    fs::create_directories(d + "/run");
    WriteFileAtomic(d + "/bin/srun", R"(#!/bin/bash
echo "srun $*" >> "$FAKE_LOG"
echo $$ >> "$FAKE_LOG.pids"
ntasks=1
while [ $# -gt 0 ]; do
  case "$1" in
    --ntasks=*) ntasks=${1#--ntasks=} ;;
    --*) ;;
    *) break ;;
  esac
  shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do SLURM_PROCID=$i "$@" & pids+=($!); done
trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM
code=0
for p in "${pids[@]}"; do
  while kill -0 "$p" 2>/dev/null; do wait "$p"; done
  wait "$p" || code=$?
done
exit $code
)");
    WriteFileAtomic(d + "/bin/rlfleet", R"(#!/bin/bash
echo "start $*" >> "$FAKE_LOG"
case " $* " in
  *" --role learner "*)
    trap 'echo "learner stopped" >> "$FAKE_LOG"; exit 0' TERM
    for _ in $(seq 20); do sleep 0.05; done
    echo "learner exits ${LEARNER_EXIT:-0}" >> "$FAKE_LOG"; exit "${LEARNER_EXIT:-0}" ;;
  *" --role shard --index 1 "*)
    if [ -n "${SHARD1_FAILS:-}" ]; then echo "shard 1 gives up" >> "$FAKE_LOG"; exit 1; fi ;;
esac
trap 'echo "stopped $*" >> "$FAKE_LOG"; exit 0' TERM
while :; do sleep 0.05; done
)");
    WriteFileAtomic(d + "/bin/scancel", R"(#!/bin/bash
echo "scancel $*" >> "$FAKE_LOG"
for pid in $(cat "$FAKE_LOG.pids"); do kill -TERM "$pid" 2>/dev/null; done
exit 0
)");
    for (const char* tool : {"/bin/srun", "/bin/rlfleet", "/bin/scancel"}) {
      fs::permissions(d + tool, fs::perms::owner_exec, fs::perm_options::add);
    }
    SlurmJobOptions options = Options(d + "/run");
    options.executable = d + "/bin/rlfleet";
    WriteFileAtomic(d + "/job.sbatch", SlurmBatchScript(options));
  }

  // Runs the script; its exit status, and the stand-ins' log.
  std::pair<int, std::string> Run(const std::string& env) {
    const std::string d = dir_.path();
    const auto [code, output] =
        RunShell("cd " + d + " && PATH=" + d + "/bin:$PATH FAKE_LOG=" + d +
                 "/log SLURM_JOB_ID=42 " + env + " timeout 60 bash job.sbatch");
    return {code, ReadFile(d + "/log") + "--- job output:\n" + output};
  }

  TempDir dir_{"rlfleet-slurm-script-test"};
};

TEST_F(SlurmScriptRunTest, EveryRoleIsAStepAndTheOthersStopWhenTheLearnerEnds) {
  const auto [code, log] = Run("");
  EXPECT_EQ(code, 0) << log;
  EXPECT_EQ(Count(log, "srun --het-group=0 "), 3u) << log;  // 2 shards + the learner
  EXPECT_EQ(Count(log, "srun --het-group=1 --ntasks=6 "), 1u) << log;
  const std::string run = "--run-dir " + dir_.path() + "/run";
  EXPECT_NE(log.find("start worker --supervise --role learner " + run + "\n"), std::string::npos)
      << log;
  for (const char* role :
       {"shard --index 0", "shard --index 1", "actor --index 0", "actor --index 5"}) {
    const std::string args = std::string("worker --supervise --role ") + role + " " + run;
    EXPECT_NE(log.find("start " + args + "\n"), std::string::npos) << role << "\n" << log;
    EXPECT_NE(log.find("stopped " + args + "\n"), std::string::npos) << role << "\n" << log;
  }
  EXPECT_EQ(log.find("--resume"), std::string::npos) << log;  // no checkpoint yet
  EXPECT_NE(log.find("launch slurm-42-0"), std::string::npos) << log;
  EXPECT_NE(log.find("scancel --signal=TERM 42\n"), std::string::npos) << log;
}

TEST_F(SlurmScriptRunTest, ACheckpointMakesTheLearnerResume) {
  fs::create_directories(dir_.path() + "/run/checkpoints/000100");
  const auto [code, log] = Run("SLURM_RESTART_COUNT=2");
  EXPECT_EQ(code, 0) << log;
  EXPECT_NE(log.find("--role learner --run-dir " + dir_.path() + "/run --resume\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("launch slurm-42-2"), std::string::npos) << log;
}

TEST_F(SlurmScriptRunTest, TheLearnersStatusIsTheJobsAndARoleThatGivesUpEndsTheRun) {
  {
    const auto [code, log] = Run("LEARNER_EXIT=3");
    EXPECT_EQ(code, 3) << log;
  }
  fs::remove(dir_.path() + "/log");
  fs::remove(dir_.path() + "/log.pids");
  const auto [code, log] = Run("SHARD1_FAILS=1");
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("a step ended before the learner"), std::string::npos) << log;
  // The learner (still running then, or already done) and the others were stopped.
  EXPECT_NE(log.find("stopped worker --supervise --role shard --index 0"), std::string::npos)
      << log;
}

}  // namespace
}  // namespace rlfleet
