#ifndef RLFLEET_BENCH_REPLAY_BENCH_H_
#define RLFLEET_BENCH_REPLAY_BENCH_H_

// `rlfleet bench replay`: the replay service (replay/shard_server.h, replay/insert_client.h,
// replay/sample_client.h) beside bare ZeroMQ, in the same run. Torch-free.

namespace rlfleet {

struct ReplayBenchOptions {
  // Each throughput sub-phase (insert only, sample only, both at once; raw ZeroMQ) measures for
  // seconds / 2 after a 0.25 s warm-up. The default 5 s makes the whole bench about 1-1.5 min.
  double seconds = 5.0;
  bool json_only = false;  // print only the final JSON object
};

// Set-up: before this process creates any thread or ZeroMQ context, it forks the shards as child
// processes (5 of them: shards 0-3 for the throughput phases, one for the checkpoint phase), each
// running ShardServer::Run on an ipc:// endpoint in a temp dir until SIGTERM (also sent if this
// process dies: PR_SET_PDEATHSIG). Clients are threads of this process (one ZeroMQ context, one
// I/O thread), each with its own sockets; every client of a phase is created in its own thread.
//
// Throughput, for 100-byte transitions (inserted 256 per request, sampled in batches of 256,
// tables of 2^20 items) and 13 KiB unrolls (8 per insert request, sampled 32 per batch, tables of
// 4096 items), on 1, 2 and 4 shards (uniform sampler, FIFO eviction, no rate limit; each shard
// count has its own fresh tables):
//   insert only: one InsertClient thread per shard (max_inflight 8), items/s acked;
//   sample only: one SampleClient thread over all shards (Sample, prefetch 4), items/s;
//   mixed:       both at once.
// Reference, measured right before the replay phases of each item size: a PUSH thread and a PULL
// thread (each with its own ZeroMQ context) over tcp://127.0.0.1 and, the shards' transport, over
// ipc, messages of the insert requests' payload size (items × item bytes), messages/s → items/s
// and MB/s (10^6 bytes). Ratios (insert_vs_raw, sample_vs_raw) are against the faster of the two.
// Shard replies to requests still in flight when a phase's clients close are dropped by design;
// the shard processes log errors only.
//
// Checkpoint latency: a dedicated shard with a uniform 1,000,000-item table is filled to 1M
// 100-byte items; an inserter thread then inserts batches of 16 (Insert + Flush, one in flight)
// and records each round trip while SampleClient::Checkpoint is requested; reports the worst and
// p99 insert latency of the inserts overlapping the checkpoint (and before it), the checkpoint's
// duration and the file size. The temp dir (and the checkpoint) is removed afterwards.
//
// Prints a table unless json_only; the last line printed is one JSON object with every figure and
// "goals": one-shard insert and sample ≥ 1M items/s (100-byte items, each measured alone),
// 13 KiB inserts ≥ 0.5 × raw ZeroMQ bandwidth, worst insert latency during the checkpoint ≤ 50 ms
// (each {"value","goal","met"}). Returns 0 (goals missed are reported, not failed); throws on
// errors (std::invalid_argument for seconds <= 0).
int RunReplayBench(const ReplayBenchOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_BENCH_REPLAY_BENCH_H_
