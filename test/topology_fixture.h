// The production topology of issue 5 on loopback, for the fault tests:
// nats-server (one node or a 3-node cluster with a replicas=3 stream),
// PostgreSQL 15, Redis, HAProxy in TCP mode in front of 2 `fleetd ingest`,
// 2 `fleetd process` workers with disjoint consume= ranges and 2 `fleetd
// api` nodes — the layout scripts/topology.sh starts for operators, built
// here with handles on every process so a test can SIGKILL, stop and
// restart any of them.
//
// Also the device side: a GT06 tracker that sends positions in batches, each
// followed by a heartbeat whose acknowledgement (sent by ingest only after
// JetStream has the batch) marks the batch acknowledged; without one it
// reconnects through HAProxy and resends from the first unacknowledged
// position. What the store must hold afterwards is then exactly known.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "servers/server_process.h"

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

// One GT06 tracker's run: `positions` fixes one second apart from
// `first_ts`, `batch` positions then a heartbeat per write, `pace` between
// batches. Stops when every position is acknowledged or at `deadline`.
struct DevicePlan {
  std::string imei;
  int64_t first_ts = 0;
  int positions = 100;
  int batch = 10;
  std::chrono::milliseconds pace{50};
  uint16_t port = 0;
  std::chrono::milliseconds ack_timeout{10000};
};

struct DeviceResult {
  int acked = 0;       // positions acknowledged (a prefix of the plan)
  int sent = 0;        // positions written, resends included
  int connections = 0;
};

// Runs the plan on the calling thread; `acked_total` counts acknowledged
// positions across devices as they happen.
DeviceResult RunGt06Device(const DevicePlan& plan, std::atomic<int>& acked_total,
                           std::chrono::steady_clock::time_point deadline);

// A uid for device `index` whose NATS partition (of `partitions`) is in
// [lo, hi]: the tests pick devices on both process workers' ranges.
std::string ImeiInPartitions(int index, size_t partitions, size_t lo, size_t hi);

}  // namespace fleetd::topo
