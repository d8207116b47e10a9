#include "launcher/slurm.h"

#include "core/shell.h"

#include <cctype>
#include <sstream>
#include <stdexcept>

namespace rlfleet {
namespace {

void RequireOneLine(const std::string& field, const std::string& value) {
  if (value.find_first_of("\n\r") != std::string::npos) {
    throw std::invalid_argument("SlurmJobOptions." + field + " must be one line: '" + value + "'");
  }
}

void RequireAbsolute(const std::string& field, const std::string& value) {
  if (value.empty() || value.front() != '/') {
    throw std::invalid_argument("SlurmJobOptions." + field + " must be an absolute path, got '" +
                                value + "'");
  }
  RequireOneLine(field, value);
}

}  // namespace

void SlurmJobOptions::Validate() const {
  RequireAbsolute("executable", executable);
  RequireAbsolute("run_dir", run_dir);
  if (job_name.empty() || job_name.find_first_of("'\"\\ \t\n\r") != std::string::npos) {
    throw std::invalid_argument(
        "SlurmJobOptions.job_name must be non-empty without spaces or quotes, got '" + job_name +
        "'");
  }
  if (num_shards < 1) throw std::invalid_argument("SlurmJobOptions.num_shards must be >= 1");
  if (actor_nodes < 1) throw std::invalid_argument("SlurmJobOptions.actor_nodes must be >= 1");
  if (actors_per_node < 1) {
    throw std::invalid_argument("SlurmJobOptions.actors_per_node must be >= 1");
  }
  RequireOneLine("partition", partition);
  RequireOneLine("time_limit", time_limit);
  for (const std::string& option : sbatch_options) {
    RequireOneLine("sbatch_options", option);
    if (option.rfind("-", 0) != 0) {
      throw std::invalid_argument("SlurmJobOptions.sbatch_options: '" + option +
                                  "' is not an option (e.g. --account=NAME)");
    }
  }
}

std::string SlurmBatchScript(const SlurmJobOptions& options) {
  options.Validate();
  std::ostringstream s;
  auto common = [&] {
    if (!options.partition.empty()) s << "#SBATCH --partition=" << options.partition << "\n";
    if (!options.time_limit.empty()) s << "#SBATCH --time=" << options.time_limit << "\n";
    for (const std::string& option : options.sbatch_options) s << "#SBATCH " << option << "\n";
  };
  s << "#!/bin/bash\n"
    << "# One rlfleet run as a heterogeneous Slurm job, written by `rlfleet slurm`. Submitting it\n"
    << "# again (sbatch this file, or rlfleet slurm --resume RUN_DIR) continues the run from its\n"
    << "# newest checkpoint.\n"
    << "#SBATCH --job-name=" << options.job_name << "\n"
    << "#SBATCH --output=" << options.run_dir << "/slurm/job-%j.out\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --requeue\n";
  // Component 0: the learner and the shards, one task each, on one node.
  common();
  s << "#SBATCH --nodes=1\n"
    << "#SBATCH --ntasks=" << options.num_shards + 1 << "\n";
  if (options.gpu) s << "#SBATCH --gres=gpu:1\n";
  // Component 1: the actors.
  s << "#SBATCH hetjob\n";
  common();
  s << "#SBATCH --nodes=" << options.actor_nodes << "\n"
    << "#SBATCH --ntasks-per-node=" << options.actors_per_node << "\n";
  s << "set -u\n"
    << "rlfleet=" << ShellQuote(options.executable) << "\n"
    << "run_dir=" << ShellQuote(options.run_dir) << "\n"
    << "num_shards=" << options.num_shards << "\n"
    << "num_actors=" << options.actor_nodes * options.actors_per_node << "\n";
  s << R"sh(# This launch of the run: rendezvous files that other launches left are never taken.
export RLFLEET_RENDEZVOUS_ID="slurm-${SLURM_JOB_ID}-${SLURM_RESTART_COUNT:-0}"
resume=()
if [ -n "$(ls -A "$run_dir/checkpoints" 2>/dev/null)" ]; then resume=(--resume); fi
echo "rlfleet: job $SLURM_JOB_ID (launch $RLFLEET_RENDEZVOUS_ID) on $(hostname) at $(date -u +%FT%TZ)${resume[*]:+, resuming}"
# SIGTERM (scancel, the time limit) reaches every step from Slurm; this shell waits for them.
stopping=0
trap 'stopping=1; echo "rlfleet: SIGTERM: the roles are stopping"' TERM
# Steps of one component share its CPUs (--overlap): the roles are processes of one node.
others=()
for ((i = 0; i < num_shards; i++)); do
  srun --het-group=0 --nodes=1 --ntasks=1 --overlap --job-name=shard-$i \
    "$rlfleet" worker --supervise --role shard --index $i --run-dir "$run_dir" &
  others+=($!)
done
srun --het-group=0 --nodes=1 --ntasks=1 --overlap --job-name=learner \
  "$rlfleet" worker --supervise --role learner --run-dir "$run_dir" "${resume[@]}" &
learner=$!
srun --het-group=1 --ntasks=$num_actors --overlap --job-name=actors \
  bash -c 'exec "$0" worker --supervise --role actor --index "$SLURM_PROCID" --run-dir "$1"' \
  "$rlfleet" "$run_dir" &
others+=($!)
# Until the learner's step ends or another step gives up (a role that died too often).
failed=0
while kill -0 "$learner" 2>/dev/null; do
  sleep 1 & wait $!
  for pid in "${others[@]}"; do
    kill -0 "$pid" 2>/dev/null || failed=$((1 - stopping))
  done
  [ "$stopping" = 1 ] && break
  [ "$failed" = 1 ] && break
done
[ "$failed" = 1 ] && echo "rlfleet: a step ended before the learner: stopping the run"
# SIGTERM to every step's tasks (a signal to srun itself would make it kill them outright).
scancel --signal=TERM "$SLURM_JOB_ID" 2>/dev/null || kill -TERM "$learner" "${others[@]}" 2>/dev/null
while kill -0 "$learner" 2>/dev/null; do wait "$learner"; done
wait "$learner"
code=$?
while [ -n "$(jobs -pr)" ]; do wait; done
echo "rlfleet: the learner's step ended with status $code at $(date -u +%FT%TZ)"
[ "$failed" = 1 ] && [ "$code" = 0 ] && code=1
exit $code
)sh";
  return s.str();
}

int64_t ParseSbatchJobId(const std::string& output) {
  size_t end = 0;
  while (end < output.size() && std::isdigit(static_cast<unsigned char>(output[end]))) ++end;
  if (end == 0 || end > 18 || (end < output.size() && output[end] != ';' && output[end] != '\n')) {
    throw std::runtime_error("sbatch did not print a job id: '" + output + "'");
  }
  return std::stoll(output.substr(0, end));
}

}  // namespace rlfleet
