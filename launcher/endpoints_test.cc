#include "launcher/endpoints.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/file_util.h"

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

TEST(EndpointsTest, TcpEndpointsComeFromTheRendezvousAndUserValuesStay) {
  TempDir dir("rlfleet-endpoints-test");
  RunConfig config;
  config.cluster.transport = "tcp";
  config.cluster.num_shards = 2;
  config.cluster.weights_endpoint = "tcp://10.1.1.1:5555";  // set by hand
  config.cluster.rendezvous_timeout_seconds = 0.3;
  RunConfig filled = FillEndpoints(config, "");
  EXPECT_TRUE(filled.cluster.shard_endpoints.empty());
  EXPECT_TRUE(filled.cluster.stats_endpoint.empty());

  const RendezvousOptions rendezvous{dir.path() + "/rendezvous", "launch-1", 0.3};
  PublishEndpoint(rendezvous, "shard-0", "tcp://node1:4000");
  PublishEndpoint(rendezvous, "stats", "tcp://node0:4002");
  RunConfig learner = filled;
  // Shard 1 has not published yet: the timeout names it.
  try {
    WaitForServerEndpoints(&learner, rendezvous, /*shards=*/true, /*learner=*/false);
    ADD_FAILURE() << "no timeout";
  } catch (const RendezvousTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("replay shard 1"), std::string::npos) << e.what();
  }
  PublishEndpoint(rendezvous, "shard-1", "tcp://node1:4001");
  RunConfig actor = filled;
  WaitForServerEndpoints(&actor, rendezvous, /*shards=*/true, /*learner=*/true);
  EXPECT_EQ(actor.cluster.shard_endpoints,
            (std::vector<std::string>{"tcp://node1:4000", "tcp://node1:4001"}));
  EXPECT_EQ(actor.cluster.weights_endpoint, "tcp://10.1.1.1:5555");
  EXPECT_EQ(actor.cluster.stats_endpoint, "tcp://node0:4002");

  ::setenv("RLFLEET_RENDEZVOUS_ID", "launch-7", 1);
  const RendezvousOptions run = RunRendezvous(config, "/runs/x");
  ::unsetenv("RLFLEET_RENDEZVOUS_ID");
  EXPECT_EQ(run.dir, "/runs/x/rendezvous");
  EXPECT_EQ(run.incarnation, "launch-7");
  EXPECT_EQ(run.timeout_seconds, 0.3);
}

}  // namespace
}  // namespace rlfleet
