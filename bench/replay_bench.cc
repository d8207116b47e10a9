#include "bench/replay_bench.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "replay/errors.h"
#include "replay/insert_client.h"
#include "replay/sample_client.h"
#include "replay/shard_server.h"
#include "replay/table.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

constexpr double kWarmupSeconds = 0.25;
constexpr int kMaxShards = 4;
constexpr int kShardCounts[] = {1, 2, 4};
constexpr int kInsertInflight = 8;
constexpr int kSamplePrefetch = 4;

// One kind of item the throughput phases move.
struct ItemKind {
  const char* name;  // also the table name prefix
  int64_t item_bytes;
  int32_t insert_batch;  // items per insert request
  int32_t sample_batch;  // items per sampled batch
  int64_t table_size;    // max_size of each table
};
constexpr ItemKind kSmall{"transitions", 100, 256, 256, int64_t{1} << 20};
constexpr ItemKind kLarge{"unrolls", 13 * 1024, 8, 32, 4096};
constexpr ItemKind kKinds[] = {kSmall, kLarge};

constexpr int64_t kCheckpointItems = 1000000;
constexpr int32_t kProbeBatch = 16;
constexpr double kCheckpointGoalMs = 50.0;
constexpr double kItemsGoal = 1e6;
constexpr double kBandwidthGoal = 0.5;

std::string TableName(const ItemKind& kind, int shards) {
  return std::string(kind.name) + "_" + std::to_string(shards);
}

TableOptions UniformTable(const std::string& name, int64_t max_size) {
  TableOptions t;
  t.name = name;
  t.sampler = "uniform";
  t.remover = "fifo";
  t.max_size = max_size;
  return t;  // default RateLimiterOptions: no limit beyond one item to sample
}

// ---------------------------------------------------------------------------------------------
// Shard processes.

std::atomic<bool> g_child_stop{false};
void OnChildSignal(int) { g_child_stop.store(true); }

// Child processes serving ShardServer::Run until SIGTERM; terminated and reaped on destruction.
// Fork only before this process has a ZeroMQ context or threads of its own.
class ShardProcesses {
 public:
  ShardProcesses() = default;
  ShardProcesses(const ShardProcesses&) = delete;
  ShardProcesses& operator=(const ShardProcesses&) = delete;
  ~ShardProcesses() {
    for (pid_t pid : pids_) ::kill(pid, SIGTERM);
    for (pid_t pid : pids_) {
      // Run returns within ~100 ms of SIGTERM; the destructor waits for a checkpoint being
      // written. Give up after 10 s.
      bool reaped = false;
      for (int i = 0; i < 1000 && !reaped; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) {
          reaped = true;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
      if (!reaped) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  }

  // Forks a child that serves `options`; returns the endpoint.
  std::string Fork(const ShardServerOptions& options) {
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("replay bench: fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      struct sigaction action = {};
      action.sa_handler = OnChildSignal;
      ::sigemptyset(&action.sa_mask);
      ::sigaction(SIGTERM, &action, nullptr);
      ::sigaction(SIGINT, &action, nullptr);
      // Replies to requests still in flight when a phase's clients close are dropped by design
      // (warnings); keep the output to errors.
      SetLogLevel(LogLevel::kError);
      int code = 0;
      try {
        ShardServer server(options);
        server.Run(g_child_stop);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "replay bench shard %s: %s\n", options.endpoint.c_str(), e.what());
        code = 1;
      }
      std::fflush(stderr);
      ::_exit(code);
    }
    pids_.push_back(pid);
    return options.endpoint;
  }

 private:
  std::vector<pid_t> pids_;
};

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

using Worker = std::function<void(std::atomic<int64_t>& count, const std::atomic<bool>& stop)>;

// Runs the workers on their own threads; after kWarmupSeconds measures their counters for
// `seconds` and returns each one's rate (per second) over that window. A worker ends when stop
// becomes true (StoppedError is expected then); any other exception is rethrown here.
std::vector<double> MeasureRates(const std::vector<Worker>& workers, double seconds) {
  const size_t n = workers.size();
  std::unique_ptr<std::atomic<int64_t>[]> counts(new std::atomic<int64_t>[n]);
  for (size_t i = 0; i < n; ++i) counts[i].store(0);
  std::atomic<bool> stop{false};
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      try {
        workers[i](counts[i], stop);
      } catch (const StoppedError&) {
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(kWarmupSeconds));
  std::vector<int64_t> before(n);
  for (size_t i = 0; i < n; ++i) before[i] = counts[i].load();
  Stopwatch watch;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  std::vector<double> rates(n);
  const double elapsed_before_read = watch.Seconds();
  for (size_t i = 0; i < n; ++i) rates[i] = static_cast<double>(counts[i].load() - before[i]);
  const double elapsed = (elapsed_before_read + watch.Seconds()) / 2;
  for (double& r : rates) r /= elapsed;
  stop = true;
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return rates;
}

Worker Inserter(const std::string& endpoint, const std::string& table,
                const std::vector<std::string>* items) {
  return [endpoint, table, items](std::atomic<int64_t>& count, const std::atomic<bool>& stop) {
    InsertClientOptions options;
    options.endpoint = endpoint;
    options.table = table;
    options.max_inflight = kInsertInflight;
    InsertClient client(options);  // no stop flag: it ends with Flush (all acks received)
    while (!stop.load(std::memory_order_relaxed)) {
      client.Insert(*items);
      count.store(client.acked_items(), std::memory_order_relaxed);
    }
    client.Flush();
  };
}

Worker Sampler(const std::vector<std::string>& endpoints, const std::string& table,
               int32_t batch_size) {
  return
      [endpoints, table, batch_size](std::atomic<int64_t>& count, const std::atomic<bool>& stop) {
        SampleClientOptions options;
        options.endpoints = endpoints;
        options.table = table;
        options.prefetch = kSamplePrefetch;
        SampleClient client(options, &stop);
        SampledBatch batch;
        while (!stop.load(std::memory_order_relaxed)) {
          if (client.Sample(batch_size, 100, &batch)) {
            count.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
          }
        }
      };
}

nlohmann::json Rate(double items_per_second, int64_t item_bytes) {
  return {{"items_per_second", items_per_second},
          {"mb_per_second", items_per_second * static_cast<double>(item_bytes) * 1e-6}};
}

// Bare ZeroMQ: a PUSH thread streams messages of message_bytes to a PULL socket (this thread)
// bound to `bind_endpoint` (tcp loopback or ipc); each side has its own context (one I/O
// thread), as two processes would. Returns messages/s.
double RawZmqMessagesPerSecond(const std::string& bind_endpoint, size_t message_bytes,
                               double seconds) {
  zmq::context_t pull_context(1);
  zmq::context_t push_context(1);
  SocketOptions socket_options;
  zmq::socket_t pull = MakeSocket(zmq::socket_type::pull, socket_options, pull_context);
  Bind(pull, bind_endpoint);
  const std::string endpoint = BoundEndpoint(pull);
  std::atomic<bool> stop{false};
  std::thread pusher([&] {
    zmq::socket_t push = MakeSocket(zmq::socket_type::push, socket_options, push_context);
    Connect(push, endpoint);
    const std::string payload(message_bytes, 'x');
    while (!stop.load(std::memory_order_relaxed)) {
      zmq::message_t message(payload.data(), payload.size());
      if (!push.send(message, zmq::send_flags::dontwait)) PollOut(push, 100);
    }
  });
  zmq::message_t message;
  auto receive_for = [&](double duration) {
    int64_t received = 0;
    Stopwatch watch;
    while (watch.Seconds() < duration) {
      if (!PollIn(pull, 100)) continue;
      while (pull.recv(message, zmq::recv_flags::dontwait)) ++received;
    }
    return std::make_pair(received, watch.Seconds());
  };
  receive_for(kWarmupSeconds);
  const auto [received, elapsed] = receive_for(seconds);
  stop = true;
  pusher.join();
  RemoveIpcFile(endpoint);
  return static_cast<double>(received) / elapsed;
}

// ---------------------------------------------------------------------------------------------
// Checkpoint phase.

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t i = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  return values[i];
}

nlohmann::json CheckpointPhase(const std::string& endpoint, const std::string& table,
                               const std::string& checkpoint_dir, bool verbose) {
  const std::vector<std::string> batch(256, std::string(kSmall.item_bytes, 'c'));
  double fill_seconds = 0;
  {
    InsertClientOptions options;
    options.endpoint = endpoint;
    options.table = table;
    options.max_inflight = kInsertInflight;
    InsertClient client(options);
    Stopwatch watch;
    int64_t inserted = 0;
    while (inserted < kCheckpointItems) {
      const int64_t n = std::min<int64_t>(256, kCheckpointItems - inserted);
      if (n == 256) {
        client.Insert(batch);
      } else {
        client.Insert(std::vector<std::string>(n, batch[0]));
      }
      inserted += n;
    }
    client.Flush();
    fill_seconds = watch.Seconds();
  }
  if (verbose) {
    std::printf("checkpoint: filled %lld items in %.2f s\n",
                static_cast<long long>(kCheckpointItems), fill_seconds);
    std::fflush(stdout);
  }

  // The probe: batches of kProbeBatch, one in flight, each round trip timed.
  struct Sample {
    double start_s, end_s;
  };
  std::vector<Sample> probes;
  probes.reserve(1 << 20);
  Stopwatch clock;
  std::atomic<bool> stop{false};
  std::exception_ptr probe_error;
  std::thread prober([&] {
    try {
      InsertClientOptions options;
      options.endpoint = endpoint;
      options.table = table;
      options.max_inflight = 1;
      InsertClient client(options, &stop);
      const std::vector<std::string> items(kProbeBatch, std::string(kSmall.item_bytes, 'p'));
      while (!stop.load(std::memory_order_relaxed)) {
        const double start = clock.Seconds();
        client.Insert(items);
        client.Flush();
        probes.push_back({start, clock.Seconds()});
      }
    } catch (const StoppedError&) {
    } catch (...) {
      probe_error = std::current_exception();
    }
  });

  SampleClientOptions options;
  options.endpoints = {endpoint};
  options.table = table;
  SampleClient client(options);
  client.Info(0, 10000);                                        // connected before the clock starts
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // baseline latencies
  const double checkpoint_start = clock.Seconds();
  client.Checkpoint(0, 120000);
  const double checkpoint_end = clock.Seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  stop = true;
  prober.join();
  if (probe_error) std::rethrow_exception(probe_error);

  std::vector<double> during_ms, before_ms;
  for (const Sample& s : probes) {
    const double ms = (s.end_s - s.start_s) * 1e3;
    if (s.end_s >= checkpoint_start && s.start_s <= checkpoint_end) {
      during_ms.push_back(ms);
    } else if (s.end_s < checkpoint_start) {
      before_ms.push_back(ms);
    }
  }
  int64_t file_bytes = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(checkpoint_dir)) {
    if (entry.is_regular_file()) file_bytes += static_cast<int64_t>(entry.file_size());
  }
  nlohmann::json result;
  result["table_items"] = kCheckpointItems;
  result["item_bytes"] = kSmall.item_bytes;
  result["sampler"] = "uniform";
  result["fill_seconds"] = fill_seconds;
  result["fill_items_per_second"] = static_cast<double>(kCheckpointItems) / fill_seconds;
  result["checkpoint_seconds"] = checkpoint_end - checkpoint_start;
  result["file_bytes"] = file_bytes;
  result["probe_batch"] = kProbeBatch;
  result["inserts_during"] = during_ms.size();
  result["worst_insert_latency_ms"] =
      during_ms.empty() ? 0.0 : *std::max_element(during_ms.begin(), during_ms.end());
  result["p99_insert_latency_ms"] = Percentile(during_ms, 0.99);
  result["median_insert_latency_ms"] = Percentile(during_ms, 0.5);
  result["inserts_before"] = before_ms.size();
  result["worst_insert_latency_ms_before"] =
      before_ms.empty() ? 0.0 : *std::max_element(before_ms.begin(), before_ms.end());
  result["median_insert_latency_ms_before"] = Percentile(before_ms, 0.5);
  return result;
}

nlohmann::json Goal(double value, double goal, bool at_most = false) {
  return {{"value", value}, {"goal", goal}, {"met", at_most ? value <= goal : value >= goal}};
}

}  // namespace

int RunReplayBench(const ReplayBenchOptions& options) {
  if (!(options.seconds > 0)) throw std::invalid_argument("bench replay: seconds must be > 0");
  const bool verbose = !options.json_only;
  const double phase_seconds = options.seconds / 2;

  // Shards first: fork before this process has threads or a ZeroMQ context. The temp dir outlives
  // the processes (declared first, destroyed last).
  TempDir dir("rlfleet-replay-bench");
  const std::string checkpoint_dir = dir.path() + "/checkpoint";
  std::vector<std::string> endpoints;
  std::string checkpoint_endpoint;
  ShardProcesses processes;
  for (int shard = 0; shard < kMaxShards; ++shard) {
    ShardServerOptions server;
    server.endpoint = "ipc://" + dir.path() + "/shard-" + std::to_string(shard);
    server.seed = static_cast<uint64_t>(shard) + 1;
    for (const ItemKind& kind : kKinds) {
      for (int shards : kShardCounts) {
        if (shard < shards)
          server.tables.push_back(UniformTable(TableName(kind, shards), kind.table_size));
      }
    }
    endpoints.push_back(processes.Fork(server));
  }
  {
    ShardServerOptions server;
    server.endpoint = "ipc://" + dir.path() + "/checkpoint-shard";
    server.tables.push_back(UniformTable("checkpointed", kCheckpointItems));
    server.checkpoint_dir = checkpoint_dir;
    checkpoint_endpoint = processes.Fork(server);
  }
  {
    // Wait until every shard answers.
    std::vector<std::string> all = endpoints;
    all.push_back(checkpoint_endpoint);
    SampleClientOptions o;
    o.endpoints = all;
    o.table = "checkpointed";
    SampleClient client(o);
    for (size_t i = 0; i < all.size(); ++i) client.Info(i, 30000);
  }

  nlohmann::json result;
  result["bench"] = "replay";
  result["seconds"] = options.seconds;
  result["phase_seconds"] = phase_seconds;
  result["setup"] =
      "shards: child processes, ipc, uniform tables, fifo eviction, no rate limit; clients: "
      "threads of the bench process (one InsertClient per shard, max_inflight 8; one "
      "SampleClient over all shards, prefetch 4); raw: PUSH/PULL threads over tcp loopback and "
      "over ipc, each side its own context; ratios are against the faster of the two";
  result["hardware_threads"] = std::thread::hardware_concurrency();
  if (verbose) {
    std::printf(
        "replay bench: shards are child processes on ipc; clients are threads here; raw "
        "ZeroMQ is PUSH/PULL over tcp://127.0.0.1 and over ipc; ratios are against the faster "
        "(%.2f s per phase)\n",
        phase_seconds);
    std::fflush(stdout);
  }

  double one_shard_insert = 0, one_shard_sample = 0, large_insert_ratio = 0, large_sample_ratio = 0;
  for (const ItemKind& kind : kKinds) {
    const std::vector<std::string> items(kind.insert_batch,
                                         std::string(static_cast<size_t>(kind.item_bytes), 'x'));
    const size_t message_bytes = static_cast<size_t>(kind.item_bytes) * kind.insert_batch;
    const double tcp_messages =
        RawZmqMessagesPerSecond("tcp://127.0.0.1:*", message_bytes, phase_seconds);
    const double ipc_messages =
        RawZmqMessagesPerSecond("ipc://" + dir.path() + "/raw", message_bytes, phase_seconds);
    const double raw_messages = std::max(tcp_messages, ipc_messages);
    const double raw_items = raw_messages * kind.insert_batch;
    const auto raw_json = [&](double messages) {
      return nlohmann::json{
          {"message_bytes", message_bytes},
          {"messages_per_second", messages},
          {"items_per_second", messages * kind.insert_batch},
          {"mb_per_second", messages * static_cast<double>(message_bytes) * 1e-6}};
    };
    nlohmann::json kind_json;
    kind_json["item_bytes"] = kind.item_bytes;
    kind_json["insert_batch"] = kind.insert_batch;
    kind_json["sample_batch"] = kind.sample_batch;
    kind_json["table_max_size"] = kind.table_size;
    kind_json["raw_zmq_tcp"] = raw_json(tcp_messages);
    kind_json["raw_zmq_ipc"] = raw_json(ipc_messages);
    kind_json["raw_zmq_best"] = tcp_messages >= ipc_messages ? "tcp" : "ipc";
    if (verbose) {
      std::printf("\n%lld-byte %s: insert %d per request, sample batches of %d\n",
                  static_cast<long long>(kind.item_bytes), kind.name, kind.insert_batch,
                  kind.sample_batch);
      std::printf(
          "  raw ZeroMQ PUSH/PULL, %zu-byte messages: tcp %.3f M items/s (%.1f MB/s), "
          "ipc %.3f M items/s (%.1f MB/s)\n",
          message_bytes, tcp_messages * kind.insert_batch * 1e-6,
          tcp_messages * static_cast<double>(message_bytes) * 1e-6,
          ipc_messages * kind.insert_batch * 1e-6,
          ipc_messages * static_cast<double>(message_bytes) * 1e-6);
      std::printf("  %-6s %-22s %-22s %-30s %s\n", "shards", "insert only M/s (MB/s)",
                  "sample only M/s (MB/s)", "mixed insert / sample M/s", "insert/raw sample/raw");
      std::fflush(stdout);
    }
    nlohmann::json rows = nlohmann::json::array();
    for (int shards : kShardCounts) {
      const std::string table = TableName(kind, shards);
      const std::vector<std::string> shard_endpoints(endpoints.begin(), endpoints.begin() + shards);
      std::vector<Worker> inserters;
      for (const std::string& e : shard_endpoints) inserters.push_back(Inserter(e, table, &items));
      const Worker sampler = Sampler(shard_endpoints, table, kind.sample_batch);

      double insert_only = 0;
      for (double r : MeasureRates(inserters, phase_seconds)) insert_only += r;
      const double sample_only = MeasureRates({sampler}, phase_seconds)[0];
      std::vector<Worker> mixed = inserters;
      mixed.push_back(sampler);
      const std::vector<double> mixed_rates = MeasureRates(mixed, phase_seconds);
      const double mixed_sample = mixed_rates.back();
      double mixed_insert = 0;
      for (size_t i = 0; i + 1 < mixed_rates.size(); ++i) mixed_insert += mixed_rates[i];

      const double insert_ratio = insert_only / raw_items;
      const double sample_ratio = sample_only / raw_items;
      if (shards == 1 && kind.item_bytes == kSmall.item_bytes) {
        one_shard_insert = insert_only;
        one_shard_sample = sample_only;
      }
      if (shards == 1 && kind.item_bytes == kLarge.item_bytes) {
        large_insert_ratio = insert_ratio;
        large_sample_ratio = sample_ratio;
      }
      rows.push_back({{"shards", shards},
                      {"insert_only", Rate(insert_only, kind.item_bytes)},
                      {"sample_only", Rate(sample_only, kind.item_bytes)},
                      {"mixed_insert", Rate(mixed_insert, kind.item_bytes)},
                      {"mixed_sample", Rate(mixed_sample, kind.item_bytes)},
                      {"insert_vs_raw", insert_ratio},
                      {"sample_vs_raw", sample_ratio}});
      if (verbose) {
        const double mb = static_cast<double>(kind.item_bytes) * 1e-6;
        std::printf(
            "  %-6d %7.3f (%8.1f)     %7.3f (%8.1f)     %7.3f / %7.3f              "
            "%5.2f      %5.2f\n",
            shards, insert_only * 1e-6, insert_only * mb, sample_only * 1e-6, sample_only * mb,
            mixed_insert * 1e-6, mixed_sample * 1e-6, insert_ratio, sample_ratio);
        std::fflush(stdout);
      }
    }
    kind_json["shards"] = rows;
    result[kind.name] = kind_json;
  }

  if (verbose) std::printf("\n");
  const nlohmann::json checkpoint =
      CheckpointPhase(checkpoint_endpoint, "checkpointed", checkpoint_dir, verbose);
  result["checkpoint"] = checkpoint;
  if (verbose) {
    std::printf(
        "checkpoint of %lld items: %.3f s, %.1f MB file; insert latency (batches of %d) "
        "during it: worst %.2f ms, p99 %.2f ms, median %.3f ms over %lld inserts; before "
        "it: worst %.2f ms, median %.3f ms\n",
        static_cast<long long>(kCheckpointItems), checkpoint["checkpoint_seconds"].get<double>(),
        static_cast<double>(checkpoint["file_bytes"].get<int64_t>()) * 1e-6, kProbeBatch,
        checkpoint["worst_insert_latency_ms"].get<double>(),
        checkpoint["p99_insert_latency_ms"].get<double>(),
        checkpoint["median_insert_latency_ms"].get<double>(),
        static_cast<long long>(checkpoint["inserts_during"].get<int64_t>()),
        checkpoint["worst_insert_latency_ms_before"].get<double>(),
        checkpoint["median_insert_latency_ms_before"].get<double>());
  }

  nlohmann::json goals;
  goals["one_shard_insert_items_per_second"] = Goal(one_shard_insert, kItemsGoal);
  goals["one_shard_sample_items_per_second"] = Goal(one_shard_sample, kItemsGoal);
  goals["unroll_insert_vs_raw_zmq"] = Goal(large_insert_ratio, kBandwidthGoal);
  goals["unroll_sample_vs_raw_zmq"] = Goal(large_sample_ratio, kBandwidthGoal);
  goals["checkpoint_worst_insert_latency_ms"] =
      Goal(checkpoint["worst_insert_latency_ms"].get<double>(), kCheckpointGoalMs, true);
  result["goals"] = goals;
  if (verbose) {
    std::printf(
        "goals: 1-shard insert %.2f M/s (>= 1), sample %.2f M/s (>= 1); 13 KiB insert "
        "%.2f x raw (>= 0.5), sample %.2f x raw; checkpoint worst insert %.1f ms "
        "(<= 50)\n",
        one_shard_insert * 1e-6, one_shard_sample * 1e-6, large_insert_ratio, large_sample_ratio,
        checkpoint["worst_insert_latency_ms"].get<double>());
  }
  std::printf("%s\n", result.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace rlfleet
