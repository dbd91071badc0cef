// LiveEnvelope: the located envelope the LiveState contract suite and the
// live-state tests build their batches from. Apart from
// live_state_contract.h because that header defines tests, so only one
// translation unit of a binary may include it; this one any may.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fleetd/queue.h"

namespace fleetd::contract {

// Tenant `tenant`'s device `uid` (device id 100 + tenant) with a fix at `ts`,
// received 10 ms later, at (lat, lng) unless those are absent.
inline Envelope LiveEnvelope(int64_t tenant, const std::string& uid, std::optional<TimestampMs> ts,
                             std::optional<double> lat = 1.5, std::optional<double> lng = 2.5) {
  Envelope e;
  e.tenant_id = tenant;
  e.device_id = 100 + tenant;
  e.message.device_uid = uid;
  e.message.protocol = "test";
  e.message.ts = ts;
  e.message.received_at = ts.value_or(0) + 10;
  e.message.lat = lat;
  e.message.lng = lng;
  return e;
}

}  // namespace fleetd::contract
