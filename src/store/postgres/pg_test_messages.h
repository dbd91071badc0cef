// Messages for the PostgreSQL tests that do not include the Store contract
// (test/contract/store_contract.h defines its tests, so exactly one
// translation unit of a binary may include it): the contract's own, from
// test/contract/store_messages.h.
#pragma once

#include <string>

#include "contract/store_messages.h"

namespace fleetd::pgtest {

using contract::EnvelopeFor;
using contract::kBaseTs;  // 2026-05-21T00:00:00Z, the contract's base time

// The contract's position message without ignition, as these suites have
// always written it.
inline Message PositionMessage(const std::string& uid, TimestampMs ts, double lat = 23.8103, double lng = 90.4125) {
  Message m = contract::PositionMessage(uid, ts, lat, lng);
  m.ignition.reset();
  return m;
}

}  // namespace fleetd::pgtest
