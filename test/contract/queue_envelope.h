// QueueEnvelope: the envelope the Queue contract suite and the queue tests
// publish. Apart from queue_contract.h because that header defines tests, so
// only one translation unit of a binary may include it; this one any may.
#pragma once

#include <cstdint>
#include <string>

#include "fleetd/queue.h"

namespace fleetd::contract {

// Tenant 1's device `device_id` (uid `uid`) with a fix at `ts`, received then.
inline Envelope QueueEnvelope(const std::string& uid, TimestampMs ts, int64_t device_id = 1) {
  Envelope e;
  e.tenant_id = 1;
  e.device_id = device_id;
  e.message.device_uid = uid;
  e.message.protocol = "test";
  e.message.ts = ts;
  e.message.received_at = ts;
  return e;
}

}  // namespace fleetd::contract
