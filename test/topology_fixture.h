// The production topology of issue 5 on loopback, for the fault tests:
// nats-server (one node or a 3-node cluster with a replicas=3 stream),
// PostgreSQL 15, Redis, HAProxy in TCP mode in front of 2 `fleetd ingest`,
// 2 `fleetd process` workers with disjoint consume= ranges and 2 `fleetd
// api` nodes — the layout scripts/topology.sh starts for operators, built
// here with handles on every process so a test can SIGKILL, stop and
// restart any of them. The device side is topology_device.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "servers/server_process.h"
#include "topology_device.h"

namespace fleetd::topo {

struct TopologyOptions {
  int nats_nodes = 1;  // 1, or 3 for a cluster with a replicas=3 stream
  size_t partitions = 16;
};

// A fleetd stage process that can be killed and started again with the
// same arguments and ports.
struct Node {
  std::string name;  // ingest-1, process-2, api-1, ...
  std::vector<std::string> argv;
  uint16_t http_port = 0;  // API (api nodes) or /healthz + /metrics
  uint16_t gt06_port = 0, teltonika_port = 0;  // ingest nodes
  std::unique_ptr<test::ServerProcess> proc;
};

class Topology {
 public:
  explicit Topology(TopologyOptions options);
  ~Topology();

  // Starts everything and registers tenant "acme"; false (with why()) if
  // any server or node did not come up.
  bool Start();
  const std::string& why() const { return why_; }

  // Registers a device to tenant acme (through `fleetd device add`).
  bool AddDevice(const std::string& uid);

  Node& node(const std::string& name);
  bool StartNode(Node& n);  // (re)starts and waits for its port
  void KillNode(const std::string& name);  // SIGKILL, reaped

  // PostgreSQL: fast shutdown (SIGINT) and a start on the same port.
  void StopPostgres();
  bool StartPostgres();

  // NATS cluster members (0..nats_nodes-1) and their monitoring ports.
  test::ServerProcess& nats(int i) { return *nats_[i]; }
  uint16_t nats_monitor_port(int i) const { return nats_monitor_[i]; }
  // The server_name of the stream's current leader ("" if unknown).
  std::string StreamLeader();
  // Client connections (fleetd nodes) on member i, from its /connz.
  int NatsConnections(int i);

  uint16_t haproxy_gt06() const { return haproxy_gt06_; }
  uint16_t haproxy_teltonika() const { return haproxy_teltonika_; }
  uint16_t haproxy_api() const { return haproxy_api_; }
  const std::string& jwt_secret() const { return secret_; }
  // An admin JWT for tenant acme.
  std::string Token();

  // One SQL value as the superuser in the fleetd database ("ERROR ..." on failure).
  std::string Sql(const std::string& query);
  struct Stored {
    int64_t rows = 0, distinct_ts = 0, min_ts = 0, max_ts = 0;
  };
  // Stored positions per device uid.
  std::map<std::string, Stored> StoredPositions();
  int64_t TotalPositions();
  // Waits until the positions table holds `rows` rows (or the timeout).
  bool WaitForPositions(int64_t rows, std::chrono::seconds timeout);

  // A counter's value on a node's /metrics (-1 if unreachable).
  double Metric(const std::string& node_name, const std::string& series);

  std::string Logs();  // tails of every log, for failure messages

 private:
  bool StartNats();
  bool InitPostgres();
  bool StartHaproxy();
  std::vector<std::string> Fleetd(const std::string& role, const std::string& name);

  TopologyOptions options_;
  std::string dir_, why_, secret_, pg_password_, store_url_, queue_url_, postgres_bin_;
  uint16_t pg_port_ = 0, redis_port_ = 0;
  uint16_t haproxy_gt06_ = 0, haproxy_teltonika_ = 0, haproxy_api_ = 0;
  std::vector<uint16_t> nats_client_, nats_monitor_;
  std::vector<std::unique_ptr<test::ServerProcess>> nats_;
  std::unique_ptr<test::ServerProcess> postgres_, redis_, haproxy_;
  std::vector<std::unique_ptr<Node>> nodes_;
  int64_t tenant_id_ = 1;
};

}  // namespace fleetd::topo
