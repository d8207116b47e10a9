#include "launcher/endpoints.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rlfleet {

int32_t FindFreePort(const std::string& host) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    ::close(fd);
    throw std::invalid_argument("cluster.host must be an IPv4 address (got '" + host + "')");
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error("cannot bind " + host + ":0: " + std::strerror(error));
  }
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

RunConfig FillEndpoints(const RunConfig& config, const std::string& ipc_dir) {
  RunConfig filled = config;
  auto make = [&](const std::string& name) {
    if (config.cluster.transport == "ipc") return "ipc://" + ipc_dir + "/" + name;
    return "tcp://" + config.cluster.host + ":" +
           std::to_string(FindFreePort(config.cluster.host));
  };
  if (filled.cluster.shard_endpoints.empty()) {
    for (int32_t i = 0; i < config.cluster.num_shards; ++i) {
      filled.cluster.shard_endpoints.push_back(make("shard-" + std::to_string(i)));
    }
  }
  if (filled.cluster.weights_endpoint.empty()) filled.cluster.weights_endpoint = make("weights");
  if (filled.cluster.stats_endpoint.empty()) filled.cluster.stats_endpoint = make("stats");
  return filled;
}

}  // namespace rlfleet
