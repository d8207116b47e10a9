#ifndef RLFLEET_REPLAY_TESTING_H_
#define RLFLEET_REPLAY_TESTING_H_

// Test helpers for replay/ (header-only; used by the replay tests, not by production code).

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "replay/shard_server.h"

namespace rlfleet {
namespace testing {

// An ipc endpoint no other test process or test in this process uses.
inline std::string UniqueIpcEndpoint() {
  static std::atomic<int> counter{0};
  return "ipc:///tmp/rlfleet-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// A ShardServer running in its own thread, stopped and joined on destruction.
class RunningShard {
 public:
  explicit RunningShard(const ShardServerOptions& options)
      : server_(options), thread_([this] { server_.Run(stop_); }) {}
  RunningShard(const RunningShard&) = delete;
  RunningShard& operator=(const RunningShard&) = delete;
  ~RunningShard() {
    stop_ = true;
    thread_.join();
  }
  ShardServer& server() { return server_; }
  std::string endpoint() const { return server_.endpoint(); }

 private:
  std::atomic<bool> stop_{false};
  ShardServer server_;
  std::thread thread_;
};

inline ShardServerOptions ShardOptions(int64_t max_size, bool ipc = false) {
  ShardServerOptions options;
  options.endpoint = ipc ? UniqueIpcEndpoint() : "tcp://127.0.0.1:*";
  options.max_size = max_size;
  return options;
}

// Polls the shard's counters until `done` holds. Returns false only if that takes longer
// than a limit far above any expected wait (a hang guard, not a timing assertion).
inline bool WaitForStats(const ShardServer& server,
                         const std::function<bool(const ShardStats&)>& done) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done(server.stats())) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_REPLAY_TESTING_H_
