// rlfleet: the command-line entry point. `rlfleet --help` lists the commands.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "actors/actor.h"
#include "algorithms/registry.h"
#include "bench/bench.h"
#include "config/config_io.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/random.h"
#include "core/shell.h"
#include "envs/registry.h"
#include "envs/rollout.h"
#include "launcher/endpoints.h"
#include "launcher/heartbeat.h"
#include "launcher/local_cluster.h"
#include "launcher/process.h"
#include "launcher/rendezvous.h"
#include "launcher/run_status.h"
#include "launcher/slurm.h"
#include "launcher/supervise.h"
#include "learner/evaluate.h"
#include "learner/export_policy.h"
#include "learner/learner.h"
#include "learner/observation_actions.h"
#include "pyenv/env_factory.h"
#include "replay/run_tables.h"
#include "replay/shard_server.h"
#include "report/report.h"
#include "transport/curve.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};

void HandleStopSignal(int) { g_stop.store(true); }

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = HandleStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool CpuHasAvx512() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) return line.find(" avx512f") != std::string::npos;
  }
  return false;
}

// OpenBLAS reads its settings when the library loads, before main. Debian's OpenBLAS 0.3.21
// does not know AVX-512 CPUs of this generation and falls back to generic kernels (a 256×256
// Linear measured 7× slower), and its own thread pool fights LibTorch's. Where the user set
// neither variable, set them and re-execute once; a value the user set is never changed.
void TuneOpenBlasAndReexec(char** argv) {
  if (std::getenv("RLFLEET_NO_REEXEC") != nullptr) return;
  bool changed = false;
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && CpuHasAvx512()) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    changed = true;
  }
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr) {
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    changed = true;
  }
  if (!changed) return;
  setenv("RLFLEET_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv);
  // exec failed: carry on with the settings OpenBLAS already read.
}

std::string SelfExecutable() { return fs::read_symlink("/proc/self/exe").string(); }

RunConfig LoadWorkerConfig(const std::string& run_dir, const std::vector<std::string>& overrides) {
  return LoadRunConfig((fs::path(run_dir) / "cluster.yaml").string(), overrides);
}

// A new run directory <runs_dir>/<name>-<timestamp>[-n] holding config.yaml.
fs::path NewRunDir(const RunConfig& config) {
  fs::path run_dir = fs::path(config.runs_dir) / (config.name + "-" + TimestampForPath());
  for (int suffix = 1; fs::exists(run_dir); ++suffix) {
    run_dir = fs::path(config.runs_dir) /
              (config.name + "-" + TimestampForPath() + "-" + std::to_string(suffix));
  }
  fs::create_directories(run_dir);
  WriteFileAtomic((run_dir / "config.yaml").string(), RunConfigToYaml(config));
  return run_dir;
}

// The tcp endpoint a server publishing under `name` binds: with `earlier`, the port it published
// before in this launch (so that its clients reconnect by themselves after a restart), else a
// port the system chooses.
std::string ServerBindEndpoint(const RunConfig& config, const RendezvousOptions& rendezvous,
                               const std::string& name, bool earlier) {
  return earlier ? RendezvousBindEndpoint(rendezvous, name, config.cluster.bind_host)
                 : "tcp://" + config.cluster.bind_host + ":*";
}

// make(true) constructs a server on its earlier ports; when that throws (e.g. the port was
// taken meanwhile), make(false) on ports the system chooses. Without a rendezvous bind the
// endpoints are fixed: make(false), once.
template <typename Make>
auto ConstructServer(bool rendezvous_bind, Make&& make) {
  if (!rendezvous_bind) return make(false);
  try {
    return make(true);
  } catch (const std::exception& e) {
    RLF_LOG(Warning) << "cannot start on the earlier endpoint(s) (" << e.what()
                     << "); trying ports the system chooses";
    return make(false);
  }
}

void Publish(const RunConfig& config, const RendezvousOptions& rendezvous, const std::string& name,
             const std::string& bound) {
  const std::string advertised = AdvertisedEndpoint(bound, config.cluster.advertise_host);
  PublishEndpoint(rendezvous, name, advertised);
  RLF_LOG(Info) << "bound " << bound << "; published " << name << " = " << advertised;
}

// env.plugin and env.python_path as absolute paths: the run's processes may start elsewhere
// (another working directory, a Slurm step).
void ResolveEnvPaths(RunConfig* config) {
  if (!config->env.plugin.empty()) config->env.plugin = fs::absolute(config->env.plugin).string();
  for (std::string& dir : config->env.python_path) dir = fs::absolute(dir).string();
}

// A run directory for roles that another launcher starts (config.yaml, cluster.yaml and, with
// cluster.curve, the run's keys), as an absolute path.
fs::path PrepareRunDir(const RunConfig& config, const std::string& command) {
  if (config.cluster.transport != "tcp") {
    throw std::invalid_argument(command +
                                ": roles started by another launcher meet over tcp: set "
                                "cluster.transport=tcp");
  }
  RunConfig resolved = config;
  ResolveEnvPaths(&resolved);
  CheckRunFitsAlgorithm(resolved, CheckEnvSource(resolved.env));
  const fs::path run_dir = fs::absolute(NewRunDir(resolved));
  if (config.cluster.curve) EnsureRunKeys(run_dir.string());
  WriteFileAtomic((run_dir / "cluster.yaml").string(), RunConfigToYaml(resolved));
  return run_dir;
}

// `rlfleet prepare`: makes that run directory and prints its path.
int Prepare(const std::string& config_path, const std::vector<std::string>& overrides) {
  const fs::path run_dir = PrepareRunDir(LoadRunConfig(config_path, overrides), "prepare");
  std::printf("%s\n", run_dir.c_str());
  return 0;
}

// `rlfleet worker --supervise`: the role as a child of this process, restarted when it dies
// (launcher/supervise.h), with the restart policy of the run's cluster.yaml.
int RunSupervised(const std::string& role, int32_t index, const std::string& run_dir, bool resume,
                  const std::vector<std::string>& overrides) {
  InstallStopHandlers();
  SetLogTag("supervisor " + RoleName(role, index));
  const RunConfig config = LoadWorkerConfig(run_dir, overrides);
  SuperviseOptions options;
  options.argv = {SelfExecutable(),      "worker",    "--role", role, "--index",
                  std::to_string(index), "--run-dir", run_dir};
  if (resume) options.argv.push_back("--resume");
  for (const std::string& set : overrides) {
    options.argv.push_back("--set");
    options.argv.push_back(set);
  }
  options.role_name = RoleName(role, index);
  options.run_dir = run_dir;
  options.learner = role == "learner";
  // learner.deterministic: a restarted process would break the rounds' sequence; no restarts.
  options.max_restarts = config.learner.deterministic ? 0 : config.cluster.max_restarts;
  options.restart_window_seconds = config.cluster.restart_window_seconds;
  options.shutdown_grace_seconds = config.cluster.shutdown_grace_seconds;
  return SuperviseRole(options, g_stop);
}

struct SlurmCommand {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string resume_dir;
  int32_t actor_nodes = 1;
  std::string partition;
  std::string time_limit;
  std::vector<std::string> sbatch_options;
  bool dry_run = false;
};

// Runs `sbatch --parsable SCRIPT` and returns the job id; throws with sbatch's output when it
// fails.
int64_t Sbatch(const fs::path& script) {
  const auto [status, output] = RunShell("sbatch --parsable " + ShellQuote(script.string()));
  if (status != 0) {
    throw std::runtime_error("sbatch " + script.string() + " failed (status " +
                             std::to_string(status) + "): " + output);
  }
  return ParseSbatchJobId(output);
}

// `rlfleet slurm`: one heterogeneous Slurm job per run (launcher/slurm.h).
int Slurm(const SlurmCommand& command) {
  if (!command.resume_dir.empty()) {
    const fs::path script = fs::absolute(command.resume_dir) / "slurm" / "job.sbatch";
    if (!fs::exists(script)) {
      throw std::invalid_argument("no " + script.string() + ": not a run made by rlfleet slurm");
    }
    if (command.dry_run) {
      std::fputs(ReadFile(script.string()).c_str(), stdout);
      return 0;
    }
    std::printf("submitted batch job %lld\nrun directory: %s\n",
                static_cast<long long>(Sbatch(script)), script.parent_path().parent_path().c_str());
    return 0;
  }
  // Multi-host defaults, before the user's overrides: tcp on every interface, with CURVE.
  std::vector<std::string> overrides = {"cluster.transport=tcp", "cluster.bind_host=0.0.0.0",
                                        "cluster.curve=true"};
  overrides.insert(overrides.end(), command.overrides.begin(), command.overrides.end());
  RunConfig config = LoadRunConfig(command.config_path, overrides);
  if (command.actor_nodes < 1) {
    throw std::invalid_argument("--actor-nodes must be >= 1, got " +
                                std::to_string(command.actor_nodes));
  }
  int32_t per_node = config.cluster.actors_per_node;
  if (per_node > 0) {
    config.cluster.num_actors = per_node * command.actor_nodes;
  } else if (config.cluster.num_actors % command.actor_nodes != 0) {
    throw std::invalid_argument(
        "cluster.num_actors = " + std::to_string(config.cluster.num_actors) +
        " is not a multiple of --actor-nodes " + std::to_string(command.actor_nodes) +
        ": set cluster.actors_per_node");
  } else {
    per_node = config.cluster.num_actors / command.actor_nodes;
  }
  config.Validate();
  SlurmJobOptions job;
  job.executable = SelfExecutable();
  job.job_name = "rlfleet-" + config.name;
  job.num_shards = config.cluster.num_shards;
  job.actor_nodes = command.actor_nodes;
  job.actors_per_node = per_node;
  job.gpu = config.learner.device == "cuda";
  job.partition = command.partition;
  job.time_limit = command.time_limit;
  job.sbatch_options = command.sbatch_options;
  if (command.dry_run) {
    job.run_dir = fs::absolute(fs::path(config.runs_dir) / (config.name + "-<timestamp>"));
    std::fputs(SlurmBatchScript(job).c_str(), stdout);
    return 0;
  }
  const fs::path run_dir = PrepareRunDir(config, "slurm");
  job.run_dir = run_dir.string();
  const std::string script_text = SlurmBatchScript(job);  // validates before anything is written
  fs::create_directories(run_dir / "slurm");
  const fs::path script = run_dir / "slurm" / "job.sbatch";
  WriteFileAtomic(script.string(), script_text);
  fs::permissions(script, fs::perms::owner_exec, fs::perm_options::add);
  std::printf("submitted batch job %lld\nrun directory: %s\n",
              static_cast<long long>(Sbatch(script)), run_dir.c_str());
  return 0;
}

int RunWorker(const std::string& role, int32_t index, const std::string& run_dir, bool resume,
              const std::vector<std::string>& overrides) {
  InstallStopHandlers();
  SetLogTag(RoleName(role, index));
  RunConfig config = LoadWorkerConfig(run_dir, overrides);
  // Before any socket: every tcp socket of this process then speaks CURVE with the run's keys.
  if (config.cluster.curve) InstallProcessCurve(ReadCurveCredentials(RunKeysDir(run_dir)));
  const bool tcp = config.cluster.transport == "tcp";
  const RendezvousOptions rendezvous = RunRendezvous(config, run_dir);
  if (role == "shard") {
    if (index < 0 || index >= config.cluster.num_shards) {
      throw std::invalid_argument("shard index " + std::to_string(index) +
                                  " is outside [0, cluster.num_shards = " +
                                  std::to_string(config.cluster.num_shards) + ")");
    }
    ShardServerOptions options;
    options.table = config.replay.table;
    options.max_size = config.replay.max_size;
    options.max_message_bytes = config.replay.max_message_bytes;
    options.max_pending_requests = config.replay.max_pending_requests;
    const bool replay_memory =
        FindAlgorithm(config.learner.algo).replay == ReplayKind::kReplayMemory;
    options.tables = RunTables(config, replay_memory);
    options.seed = DeriveSeed(config.seed, "shard_sampler", index);
    // A replay memory outlives its shard process (a restart or --resume restores it); the
    // IMPALA queue does not: its on-policy items are regenerated within seconds, and items
    // restored from before a learner restart would be off-policy.
    if (replay_memory && config.replay.checkpoint_interval_seconds > 0) {
      options.checkpoint_dir =
          (fs::path(run_dir) / "replay" / ("shard-" + std::to_string(index))).string();
      options.checkpoint_interval_seconds = config.replay.checkpoint_interval_seconds;
    }
    const std::string name = ShardEndpointName(index);
    const bool rendezvous_bind = tcp && config.cluster.shard_endpoints.empty();
    auto server = ConstructServer(rendezvous_bind, [&](bool earlier) {
      options.endpoint = rendezvous_bind ? ServerBindEndpoint(config, rendezvous, name, earlier)
                                         : config.cluster.shard_endpoints.at(index);
      return std::make_unique<ShardServer>(options);
    });
    if (rendezvous_bind) Publish(config, rendezvous, name, server->endpoint());
    const Heartbeat beat(run_dir, role, index, kHeartbeatSeconds, [&server] {
      const ShardStats stats = server->stats();  // thread-safe
      return std::vector<std::pair<std::string, double>>{
          {"size", static_cast<double>(stats.size)},
          {"inserts", static_cast<double>(stats.inserts)},
          {"samples", static_cast<double>(stats.samples)},
          {"insert_requests", static_cast<double>(stats.insert_requests)},
          {"sample_requests", static_cast<double>(stats.sample_requests)},
          {"update_requests", static_cast<double>(stats.update_requests)},
          {"overloaded", static_cast<double>(stats.overloaded)},
          {"refused_peers", static_cast<double>(stats.refused_peers)}};
    });
    RLF_LOG(Info) << "serving table '" << options.table << "' on " << server->endpoint();
    server->Run(g_stop);
    return 0;
  }
  if (role == "learner") {
    WaitForServerEndpoints(&config, rendezvous, /*shards=*/true, /*learner=*/false, &g_stop);
    const bool weights_bind = tcp && config.cluster.weights_endpoint.empty();
    const bool stats_bind = tcp && config.cluster.stats_endpoint.empty();
    auto learner = ConstructServer(weights_bind || stats_bind, [&](bool earlier) {
      RunConfig c = config;
      if (weights_bind) {
        c.cluster.weights_endpoint =
            ServerBindEndpoint(config, rendezvous, kWeightsEndpointName, earlier);
      }
      if (stats_bind) {
        c.cluster.stats_endpoint =
            ServerBindEndpoint(config, rendezvous, kStatsEndpointName, earlier);
      }
      return std::make_unique<Learner>(c, run_dir, resume);
    });
    if (weights_bind) {
      Publish(config, rendezvous, kWeightsEndpointName, learner->weights_endpoint());
    }
    if (stats_bind) Publish(config, rendezvous, kStatsEndpointName, learner->stats_endpoint());
    const Heartbeat beat(run_dir, role, 0, kHeartbeatSeconds, [] {
      return std::vector<std::pair<std::string, double>>{
          {"refused_peers", static_cast<double>(ProcessCurveRefused())}};
    });
    const LearnerSummary summary = learner->Run(g_stop);
    RLF_LOG(Info) << "learner finished: " << summary.env_steps << " env steps, " << summary.updates
                  << " updates, mean return " << summary.final_mean_return;
    return 0;
  }
  if (role == "actor") {
    if (index < 0 || index >= config.cluster.num_actors) {
      throw std::invalid_argument("actor index " + std::to_string(index) +
                                  " is outside [0, cluster.num_actors = " +
                                  std::to_string(config.cluster.num_actors) + ")");
    }
    WaitForServerEndpoints(&config, rendezvous, /*shards=*/true, /*learner=*/true, &g_stop);
    Actor actor(config, index);
    // Env steps/s over the last heartbeat interval (the lambda runs on the heartbeat's thread).
    const Heartbeat beat(run_dir, role, index, kHeartbeatSeconds,
                         [&actor, last_time = UnixSeconds(), last_steps = int64_t{0}]() mutable {
                           const double now = UnixSeconds();
                           const int64_t steps = actor.env_steps();
                           const double rate =
                               now > last_time ? (steps - last_steps) / (now - last_time) : 0.0;
                           last_time = now;
                           last_steps = steps;
                           return std::vector<std::pair<std::string, double>>{
                               {"env_steps", static_cast<double>(steps)},
                               {"env_steps_per_second", rate},
                               {"weights_version", static_cast<double>(actor.weights_version())}};
                         });
    const int64_t steps = actor.Run(g_stop);
    RLF_LOG(Info) << "actor stopped after " << steps << " env steps";
    return 0;
  }
  throw std::invalid_argument("unknown worker role '" + role +
                              "' (expected learner, shard or actor)");
}

struct ReportCommand {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string seeds = "1-5";
  int32_t parallel = 1;
  std::vector<std::string> runs;  // existing run directories instead of training
  std::string out_dir;
  bool no_strip = false;  // no picture of the best seed's policy
};

// "run directory: PATH" from `rlfleet train`'s output ("" when absent).
std::string RunDirFromTrainLog(const std::string& log) {
  const std::string key = "run directory: ";
  const size_t at = log.find(key);
  if (at == std::string::npos) return "";
  return log.substr(at + key.size(), log.find('\n', at) - at - key.size());
}

// `rlfleet report`: trains the seeds (up to `parallel` at once, each `rlfleet train` on the
// local cluster) or takes finished runs, then writes the report (report/report.h).
int Report(const ReportCommand& command) {
  const RunConfig config = LoadRunConfig(command.config_path, command.overrides);
  if (command.parallel < 1) throw std::invalid_argument("--parallel must be >= 1");
  const std::string out_dir =
      command.out_dir.empty() ? (fs::path("reports") / config.name).string() : command.out_dir;
  fs::create_directories(out_dir);
  std::vector<ReportRun> runs;
  std::string made_by = "rlfleet report " + command.config_path;
  for (const std::string& set : command.overrides) made_by += " --set " + set;
  if (!command.runs.empty()) {
    for (const std::string& dir : command.runs) {
      runs.push_back({ReadConfigSeed((fs::path(dir) / "config.yaml").string()), dir});
      made_by += " --runs " + dir;
    }
  } else {
    made_by += " --seeds " + command.seeds;
    if (command.parallel > 1) made_by += " --parallel " + std::to_string(command.parallel);
    const std::vector<uint64_t> seeds = ParseSeeds(command.seeds);
    struct Training {
      uint64_t seed;
      std::string log;
      std::unique_ptr<ChildProcess> process;
    };
    std::vector<Training> running;
    size_t next = 0;
    while (next < seeds.size() || !running.empty()) {
      while (next < seeds.size() && static_cast<int32_t>(running.size()) < command.parallel &&
             !g_stop.load()) {
        const uint64_t seed = seeds[next++];
        std::vector<std::string> argv = {SelfExecutable(),
                                         "train",
                                         command.config_path,
                                         "--quiet",
                                         "--set",
                                         "seed=" + std::to_string(seed),
                                         "--set",
                                         "name=" + config.name + "-seed" + std::to_string(seed)};
        for (const std::string& set : command.overrides) {
          argv.push_back("--set");
          argv.push_back(set);
        }
        // Next to the runs, not in the report (which may live in docs/).
        fs::create_directories(config.runs_dir);
        const std::string log = (fs::path(config.runs_dir) /
                                 (config.name + "-seed" + std::to_string(seed) + ".train.log"))
                                    .string();
        fs::remove(log);
        RLF_LOG(Info) << "training seed " << seed << " (log " << log << ")";
        running.push_back({seed, log, std::make_unique<ChildProcess>(argv, log)});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      for (auto it = running.begin(); it != running.end();) {
        if (g_stop.load()) it->process->Signal(SIGINT);
        const std::optional<ExitStatus> status = it->process->Poll();
        if (!status) {
          ++it;
          continue;
        }
        const std::string output = ReadFile(it->log);
        const std::string run_dir = RunDirFromTrainLog(output);
        if (!status->ok() || run_dir.empty()) {
          throw std::runtime_error("training seed " + std::to_string(it->seed) + " failed (" +
                                   status->ToString() + "); see " + it->log);
        }
        RLF_LOG(Info) << "seed " << it->seed << " done: " << run_dir;
        runs.push_back({it->seed, run_dir});
        it = running.erase(it);
      }
      if (g_stop.load() && running.empty()) throw std::runtime_error("interrupted");
    }
    std::sort(runs.begin(), runs.end(),
              [](const ReportRun& a, const ReportRun& b) { return a.seed < b.seed; });
  }
  if (!command.out_dir.empty()) made_by += " --out " + command.out_dir;
  if (command.no_strip) made_by += " --no-strip";
  ReportOptions options;
  options.title = config.name + " (" + command.config_path + ")";
  options.command = made_by;
  options.metric = config.report.metric;
  options.threshold = config.report.threshold;
  options.out_dir = out_dir;
  const char* plot = std::getenv("RLFLEET_PLOT_SCRIPT");
  options.plot_script = plot != nullptr ? plot : RLFLEET_PLOT_SCRIPT;
  // Built-in envs (classic control, MuJoCo) can be drawn; plugin and Python envs cannot.
  if (!command.no_strip && config.env.plugin.empty() && config.env.python.empty()) {
    options.strip_name = "strip_" + config.name + ".png";
    options.draw_strip = [](const std::string& run_dir, const std::string& png) {
      EvaluateOptions strip;
      strip.run_dir = run_dir;
      strip.episodes = 1;
      strip.strip_path = png;
      EvaluateCheckpoint(strip);
    };
  }
  std::fputs(WriteReport(runs, options).c_str(), stdout);
  std::printf("\nreport: %s\n", (fs::path(out_dir) / "report.md").c_str());
  return 0;
}

// Throws std::invalid_argument when the run's processes would not fit in this machine's
// available memory (CheckClusterFits), unless `force`.
void CheckFitsUnlessForced(const RunConfig& config, bool force) {
  const std::string problem = CheckClusterFits(config, AvailableMemoryBytes());
  if (problem.empty()) return;
  if (!force) throw std::invalid_argument(problem);
  RLF_LOG(Warning) << problem << " (--force: starting anyway)";
}

int Train(const std::string& config_path, const std::vector<std::string>& overrides,
          const std::string& resume_dir, bool quiet, bool force) {
  InstallStopHandlers();
  RunConfig config;
  fs::path run_dir;
  if (!resume_dir.empty()) {
    run_dir = resume_dir;
    config = LoadRunConfig((run_dir / "config.yaml").string(), overrides);
    CheckFitsUnlessForced(config, force);
  } else {
    config = LoadRunConfig(config_path, overrides);
    ResolveEnvPaths(&config);
    // Throws naming the known ids for an unknown env, the plugin file or the Python callable
    // that cannot be loaded, and what does not fit the algorithm, before any process starts.
    RLF_LOG(Info) << "environment " << config.env.id << ": " << DescribeEnvSource(config.env);
    CheckRunFitsAlgorithm(config, CheckEnvSource(config.env));
    CheckFitsUnlessForced(config, force);
    run_dir = NewRunDir(config);
  }
  std::printf("run directory: %s\n", run_dir.c_str());
  std::fflush(stdout);
  LocalClusterOptions options;
  options.executable = SelfExecutable();
  options.run_dir = run_dir.string();
  options.resume = !resume_dir.empty();
  options.show_progress = !quiet;
  const int code = RunLocalCluster(config, options, g_stop);
  const fs::path summary_path = run_dir / "summary.json";
  if (fs::exists(summary_path)) {
    const auto summary = nlohmann::json::parse(ReadFile(summary_path.string()));
    std::printf(
        "%s: mean return %.2f over the last 100 episodes, %lld env steps, %lld updates, "
        "%.1f s\n",
        summary.value("completed", false) ? "completed" : "stopped",
        summary.value("final_mean_return_100", 0.0),
        static_cast<long long>(summary.value("env_steps", 0LL)),
        static_cast<long long>(summary.value("updates", 0LL)), summary.value("wall_seconds", 0.0));
  }
  return code;
}

}  // namespace
}  // namespace rlfleet

int main(int argc, char** argv) {
  using namespace rlfleet;
  TuneOpenBlasAndReexec(argv);
  CLI::App app{"rlfleet: distributed reinforcement learning (actors, replay, learner)"};
  app.require_subcommand(1);

  // train
  auto* train = app.add_subcommand("train", "Train on the local cluster from a YAML config");
  std::string config_path, resume_dir;
  std::vector<std::string> overrides;
  bool quiet = false;
  bool force = false;
  train->add_option("config", config_path, "YAML config, e.g. configs/cartpole_impala.yaml");
  train->add_option("--set", overrides, "Override a config key: key=value (repeatable)");
  train->add_option("--resume", resume_dir, "Continue the run in this run directory");
  train->add_flag("--quiet", quiet, "No progress line");
  train->add_flag("--force", force, "Start even when the processes would not fit in memory");

  // eval
  auto* eval = app.add_subcommand("eval", "Evaluate a run's newest checkpoint");
  EvaluateOptions eval_options;
  bool stochastic = false;
  eval->add_option("run_dir", eval_options.run_dir, "Run directory")->required();
  eval->add_option("--episodes", eval_options.episodes, "Episodes to run");
  eval->add_option("--seed", eval_options.seed, "Seed of the first episode's env");
  eval->add_flag("--stochastic", stochastic, "Sample actions instead of the greedy action");
  eval->add_option("--video", eval_options.video_path,
                   "Also film the episodes into this H.264 MP4 (docs/videos.md)");
  eval->add_option("--strip", eval_options.strip_path,
                   "Also draw the first episode as a PNG: --strip-frames frames of it side by side "
                   "(docs/videos.md, Pictures)");
  eval->add_option("--strip-frames", eval_options.strip_frames,
                   "Frames in the --strip picture, first and last included (default 6)")
      ->needs("--strip");
  eval->add_option("--strip-steps", eval_options.strip_steps,
                   "Spread the --strip frames over the first N steps of the episode (default: "
                   "all of it)")
      ->needs("--strip");
  int32_t frame_width = 0, frame_height = 0;
  auto* eval_width = eval->add_option(
      "--width", frame_width,
      "Frame width in pixels, even, of --video (default: the task's, e.g. 480) and of each "
      "--strip frame (default: the task's aspect ratio at the height)");
  auto* eval_height = eval->add_option(
      "--height", frame_height,
      "Frame height in pixels, even, of --video (default: the task's) and of each --strip "
      "frame (default 160)");
  eval->add_option("--checkpoint", eval_options.checkpoint,
                   "A checkpoint (ckpt-N in RUN_DIR/checkpoints, or a directory) instead of the "
                   "newest");
  ObservationActionsOptions observation_actions;
  auto* eval_observations = eval->add_option(
      "--observations", observation_actions.observations_path,
      "CSV of observations (one a line, no header): write their greedy actions to --actions-out "
      "and run no episodes");
  auto* eval_actions_out = eval->add_option("--actions-out", observation_actions.actions_path,
                                            "CSV of the greedy actions of --observations");
  eval_observations->needs(eval_actions_out);
  eval_actions_out->needs(eval_observations);
  eval_observations->excludes("--episodes")->excludes("--stochastic");

  // export
  auto* export_command = app.add_subcommand(
      "export",
      "Write a checkpoint's greedy policy as a TorchScript archive that loads with "
      "torch.jit.load / torch::jit::load, without rlfleet (docs/export.md)");
  ExportOptions export_options;
  export_command->add_option("run_dir", export_options.run_dir, "Run directory")->required();
  export_command->add_option("--checkpoint", export_options.checkpoint,
                             "A checkpoint (ckpt-N in RUN_DIR/checkpoints, or a directory) "
                             "instead of the newest");
  export_command->add_option("--out", export_options.out, "The archive to write, e.g. policy.pt")
      ->required();

  // rollout
  auto* rollout = app.add_subcommand("rollout", "Step one environment and write a CSV");
  RolloutOptions rollout_options;
  std::string rollout_config;
  std::vector<std::string> rollout_overrides;
  rollout->add_option("env", rollout_options.env_id,
                      "Environment id, e.g. CartPole-v1 (or take the env of --config)");
  rollout->add_option("--config", rollout_config,
                      "A run config (or run directory) whose env section to step: a plugin or "
                      "a Python env");
  rollout->add_option("--set", rollout_overrides, "key=value overrides of --config");
  rollout->add_option("--seed", rollout_options.seed, "Env seed");
  rollout->add_option("--steps", rollout_options.steps, "Steps to take")->required();
  rollout->add_option("--actions", rollout_options.actions_path,
                      "File with one action per line (default: random actions)");
  rollout->add_option("--out", rollout_options.out_path, "Output CSV")->required();

  // bench
  auto* bench = app.add_subcommand("bench", "Benchmarks; the last line is one JSON object");
  BenchOptions bench_options;
  bench->add_option("what", bench_options.what, "actor | learner | envs | envsrc | replay | render")
      ->required();
  bench->add_option("--device", bench_options.device, "learner: cpu | cuda | auto");
  bench->add_option("--algo", bench_options.algo,
                    "learner: an algorithm name, e.g. impala | apex_dqn (default: config's)");
  bench->add_flag("--json", bench_options.json_only, "Print only the JSON object");
  bench->add_option("--seconds", bench_options.seconds, "Seconds per measured loop");
  bench->add_option("--config", bench_options.config_path, "Config to take sizes from");
  bench->add_option("--set", bench_options.overrides, "Override a config key: key=value");

  // worker: one process of a cluster, started by the local launcher or by any other (Slurm).
  auto* worker = app.add_subcommand(
      "worker",
      "Run one process of a cluster: the learner, replay shard I or actor I of the run in "
      "RUN_DIR (its cluster.yaml). With cluster.transport tcp, servers publish their endpoints "
      "in RUN_DIR/rendezvous/ and clients wait for them (docs/cluster.md)");
  std::string role, run_dir;
  int32_t index = 0;
  bool resume = false;
  worker->add_option("--role", role, "learner | shard | actor")->required();
  worker->add_option("--index", index, "Shard or actor index (0-based)");
  worker->add_option("--run-dir", run_dir, "The run directory (shared by every host)")->required();
  worker->add_flag("--resume", resume, "Learner: continue from the newest checkpoint");
  bool supervise = false;
  worker->add_flag("--supervise", supervise,
                   "Run the role as a child process and restart it when it dies (the restart "
                   "policy of cluster.max_restarts; for roles another launcher starts)");
  std::vector<std::string> worker_overrides;
  worker->add_option("--set", worker_overrides,
                     "Override a key of cluster.yaml for this process only, e.g. "
                     "cluster.advertise_host=node7");

  // status
  auto* status = app.add_subcommand(
      "status",
      "Every role of a run: host, pid, last heartbeat, env steps/s, policy lag, restarts");
  std::string status_dir;
  status->add_option("run_dir", status_dir, "The run directory")->required();

  // prepare: a run directory for another launcher
  auto* prepare = app.add_subcommand(
      "prepare",
      "Create a run directory for roles started by another launcher (cluster.transport tcp): "
      "config.yaml, cluster.yaml and, with cluster.curve, the run's keys; prints its path");
  std::string prepare_config;
  std::vector<std::string> prepare_overrides;
  prepare->add_option("config", prepare_config, "YAML config file")->required();
  prepare->add_option("--set", prepare_overrides, "Override a config key: key=value");

  // slurm: one heterogeneous Slurm job per run
  auto* slurm = app.add_subcommand(
      "slurm",
      "Submit a run as one heterogeneous Slurm job (component 0: learner and shards; component "
      "1: the actor nodes); prints the job id and the run directory (docs/cluster.md)");
  SlurmCommand slurm_command;
  slurm->add_option("config", slurm_command.config_path, "YAML config file");
  slurm->add_option("--set", slurm_command.overrides, "Override a config key: key=value");
  slurm->add_option("--resume", slurm_command.resume_dir,
                    "Submit the job of this run directory again: it continues from the newest "
                    "checkpoint");
  slurm->add_option("--actor-nodes", slurm_command.actor_nodes,
                    "Nodes for the actors (cluster.actors_per_node processes each)");
  slurm->add_option("--partition", slurm_command.partition, "Slurm partition");
  slurm->add_option("--time", slurm_command.time_limit, "Slurm time limit, e.g. 4:00:00");
  slurm->add_option("--sbatch-option", slurm_command.sbatch_options,
                    "Another #SBATCH option for both components, e.g. --account=rl (repeatable)");
  slurm->add_flag("--dry-run", slurm_command.dry_run, "Print the sbatch script; submit nothing");

  // report: several seeds of one config, aggregated
  auto* report = app.add_subcommand(
      "report",
      "Train a config with several seeds (or take finished runs) and write a report: per-seed "
      "returns, mean, median, the interquartile mean with its bootstrap interval, the time to "
      "report.threshold, learning curves (PNG) and a picture of the best seed's policy");
  ReportCommand report_command;
  report->add_option("config", report_command.config_path, "YAML config file")->required();
  report->add_option("--set", report_command.overrides, "Override a config key: key=value");
  report->add_option("--seeds", report_command.seeds, "Seeds: 1-5, 1,3,7 or 1-3,9 (default 1-5)");
  report->add_option("--parallel", report_command.parallel, "Seeds trained at once (default 1)");
  report->add_option("--runs", report_command.runs,
                     "Finished run directories to report instead of training (repeatable)");
  report->add_option("--out", report_command.out_dir, "Report directory (default reports/NAME)");
  report->add_flag("--no-strip", report_command.no_strip,
                   "No picture of the best seed's policy (strip_NAME.png; docs/videos.md)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*train) {
      if (config_path.empty() == resume_dir.empty()) {
        throw std::invalid_argument("train takes a CONFIG or --resume RUN_DIR (one of them)");
      }
      return Train(config_path, overrides, resume_dir, quiet, force);
    }
    if (*eval && !observation_actions.observations_path.empty()) {
      observation_actions.run_dir = eval_options.run_dir;
      observation_actions.checkpoint = eval_options.checkpoint;
      const int64_t rows = WriteObservationActions(observation_actions);
      std::printf("%s: %lld greedy actions\n", observation_actions.actions_path.c_str(),
                  static_cast<long long>(rows));
      return 0;
    }
    if (*export_command) {
      const ExportResult result = ExportPolicy(export_options);
      std::printf("%s: exported %s\n", export_options.out.c_str(), result.checkpoint.c_str());
      return 0;
    }
    if (*eval) {
      eval_options.greedy = !stochastic;
      if ((eval_width->count() > 0 || eval_height->count() > 0) &&
          eval_options.video_path.empty() && eval_options.strip_path.empty()) {
        throw std::invalid_argument(
            "--width and --height are the frame size of --video or --strip");
      }
      eval_options.video_width = eval_options.strip_width = frame_width;
      eval_options.video_height = eval_options.strip_height = frame_height;
      const EvaluateResult result = EvaluateCheckpoint(eval_options);
      std::printf("%s: mean return %.2f ± %.2f over %d episodes (%s)\n", result.checkpoint.c_str(),
                  result.mean, result.stddev, eval_options.episodes,
                  eval_options.greedy ? "greedy" : "stochastic");
      if (!eval_options.video_path.empty()) {
        std::printf("video: %s: %lld frames (%lld steps + 1 reset frame per episode)\n",
                    eval_options.video_path.c_str(), static_cast<long long>(result.video_frames),
                    static_cast<long long>(result.steps));
      }
      if (!eval_options.strip_path.empty()) {
        std::printf("strip: %s: %d frames of a %lld-step episode\n",
                    eval_options.strip_path.c_str(), eval_options.strip_frames,
                    static_cast<long long>(result.strip_steps));
      }
      return 0;
    }
    if (*rollout) {
      if (rollout_config.empty() == rollout_options.env_id.empty()) {
        throw std::invalid_argument("rollout takes an ENV id or --config (one of them)");
      }
      if (!rollout_config.empty()) {
        const fs::path path = fs::is_directory(rollout_config)
                                  ? fs::path(rollout_config) / "config.yaml"
                                  : fs::path(rollout_config);
        const EnvConfig env = LoadRunConfig(path.string(), rollout_overrides).env;
        rollout_options.env_id = env.id;
        rollout_options.make_env = [env] { return MakeEnv(env); };
      }
      WriteRollout(rollout_options);
      return 0;
    }
    if (*bench) return RunBench(bench_options);
    if (*worker) {
      if (supervise) return RunSupervised(role, index, run_dir, resume, worker_overrides);
      return RunWorker(role, index, run_dir, resume, worker_overrides);
    }
    if (*slurm) {
      if (slurm_command.config_path.empty() == slurm_command.resume_dir.empty()) {
        throw std::invalid_argument("slurm takes a CONFIG or --resume RUN_DIR (one of them)");
      }
      return Slurm(slurm_command);
    }
    if (*prepare) return Prepare(prepare_config, prepare_overrides);
    if (*report) {
      InstallStopHandlers();
      return Report(report_command);
    }
    if (*status) {
      std::fputs(FormatRunStatus(ReadRunStatus(status_dir, UnixSeconds())).c_str(), stdout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rlfleet: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
