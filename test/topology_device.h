// The device side of the topology tests: a GT06 tracker that sends
// positions in batches, each followed by a heartbeat whose acknowledgement
// (sent by ingest only after JetStream has the batch) marks the batch
// acknowledged; without one it reconnects (through HAProxy) and resends from
// the first unacknowledged position. What the store must hold afterwards is
// then exactly known: every planned position, once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace fleetd::topo {

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
