// See topology_device.h.
#include "topology_device.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "protocol/gt06/gt06_encoder.h"
#include "queue/nats/nats_subjects.h"
#include "test_client.h"

namespace fleetd::topo {

using Clock = std::chrono::steady_clock;

DeviceResult RunGt06Device(const DevicePlan& plan, std::atomic<int>& acked_total, Clock::time_point deadline) {
  DeviceResult result;
  while (result.acked < plan.positions && Clock::now() < deadline) {
    ++result.connections;
    test::DeviceClient c(plan.port);
    c.Send(gt06::EncodeLogin(plan.imei, 1));
    if (c.Read(10, plan.ack_timeout) != gt06::EncodeReply(0x01, 1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    uint16_t serial = 2;
    while (result.acked < plan.positions && Clock::now() < deadline) {
      const int n = std::min(plan.batch, plan.positions - result.acked);
      std::vector<uint8_t> bytes;
      for (int k = 0; k < n; ++k) {
        const int index = result.acked + k;
        gt06::PositionFix fix;
        fix.time_ms = plan.first_ts + int64_t{index} * 1000;
        fix.lat = 23.8 + index * 1e-4;
        fix.lng = 90.4 + index * 1e-4;
        fix.speed_kmh = 40;
        fix.satellites = 9;
        auto frame = gt06::EncodePosition(fix, serial++);
        bytes.insert(bytes.end(), frame.begin(), frame.end());
      }
      const uint16_t hb = serial++;
      auto frame = gt06::EncodeHeartbeat(true, 4, 3, hb);
      bytes.insert(bytes.end(), frame.begin(), frame.end());
      c.Send(bytes);
      result.sent += n;
      if (c.Read(10, plan.ack_timeout) != gt06::EncodeReply(0x13, hb)) break;  // reconnect and resend
      result.acked += n;
      acked_total += n;
      std::this_thread::sleep_for(plan.pace);
    }
  }
  return result;
}

std::string ImeiInPartitions(int index, size_t partitions, size_t lo, size_t hi) {
  int found = 0;
  for (uint64_t imei = 359710041000000;; ++imei) {
    std::string uid = std::to_string(imei);
    size_t p = nats::PartitionOf(uid, partitions);
    if (p >= lo && p <= hi && found++ == index) return uid;
  }
}

}  // namespace fleetd::topo
