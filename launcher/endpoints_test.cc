#include "launcher/endpoints.h"

#include <gtest/gtest.h>

namespace rlfleet {
namespace {

TEST(EndpointsTest, IpcEndpointsLiveInTheGivenDirectory) {
  RunConfig config;
  config.cluster.num_shards = 2;
  const RunConfig filled = FillEndpoints(config, "/tmp/rlfleet-abc");
  ASSERT_EQ(filled.cluster.shard_endpoints.size(), 2u);
  EXPECT_EQ(filled.cluster.shard_endpoints[0], "ipc:///tmp/rlfleet-abc/shard-0");
  EXPECT_EQ(filled.cluster.shard_endpoints[1], "ipc:///tmp/rlfleet-abc/shard-1");
  EXPECT_EQ(filled.cluster.weights_endpoint, "ipc:///tmp/rlfleet-abc/weights");
  EXPECT_EQ(filled.cluster.stats_endpoint, "ipc:///tmp/rlfleet-abc/stats");
}

TEST(EndpointsTest, TcpEndpointsUseDistinctFreePortsAndKeepUserValues) {
  RunConfig config;
  config.cluster.transport = "tcp";
  config.cluster.weights_endpoint = "tcp://127.0.0.1:5555";
  const RunConfig filled = FillEndpoints(config, "");
  EXPECT_EQ(filled.cluster.weights_endpoint, "tcp://127.0.0.1:5555");
  ASSERT_EQ(filled.cluster.shard_endpoints.size(), 1u);
  EXPECT_EQ(filled.cluster.shard_endpoints[0].rfind("tcp://127.0.0.1:", 0), 0u);
  EXPECT_NE(filled.cluster.shard_endpoints[0], filled.cluster.stats_endpoint);
  EXPECT_GT(FindFreePort("127.0.0.1"), 0);
  EXPECT_THROW(FindFreePort("not-an-ip"), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
