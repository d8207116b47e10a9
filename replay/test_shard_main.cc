// A replay shard process for multi-process tests (replay/table_server_test.cc): serves a queue
// table "queue" (max_size 64) and a prioritized table "prio" (max_size 64, α 0.7) on argv[1],
// checkpointing to argv[2] every argv[3] seconds (0: on request only), until SIGTERM / SIGINT.
// Exits 2 on bad arguments, 1 when the shard cannot start.

#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "replay/shard_server.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " ENDPOINT CHECKPOINT_DIR INTERVAL_SECONDS\n";
    return 2;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  try {
    rlfleet::ShardServerOptions options;
    options.endpoint = argv[1];
    options.checkpoint_dir = argv[2];
    options.checkpoint_interval_seconds = std::atof(argv[3]);
    options.tables.push_back(rlfleet::QueueTableOptions("queue", 64));
    rlfleet::TableOptions prio;
    prio.name = "prio";
    prio.sampler = "prioritized";
    prio.priority_exponent = 0.7;
    prio.max_size = 64;
    options.tables.push_back(prio);
    rlfleet::ShardServer server(options);
    server.Run(g_stop);
  } catch (const std::exception& e) {
    std::cerr << "test shard: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
