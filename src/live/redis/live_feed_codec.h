// The live feed on the wire: how one Update() batch travels over Redis
// pub/sub to every other fleetd instance.
//
//   "fleetd-live v1 <origin>\n" + JSON array of [tenant_id, device_id, message]
//
// `message` is schema-v1 JSON (core/message_json.h). The origin (a random id
// per RedisLiveState) comes first so an instance can recognize and skip its
// own batches — it has delivered them to its listeners already — without
// parsing the JSON.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/queue.h"
#include "fleetd/status.h"

namespace fleetd {

std::string EncodeLiveBatch(std::string_view origin, std::span<const Envelope> batch);
// The same, from each message's MessageToJsonText() made already (one per
// envelope, in order), so a writer serializes every message only once.
std::string EncodeLiveBatch(std::string_view origin, std::span<const Envelope> batch,
                            std::span<const std::string> message_texts);

// The origin of a payload, or "" if it is not a v1 live batch.
std::string_view LiveBatchOrigin(std::string_view payload);

// Every envelope of a payload, or kMalformed/kInvalidArgument (never an
// exception) for anything another publisher on the channel might send.
Result<std::vector<Envelope>> DecodeLiveBatch(std::string_view payload);

}  // namespace fleetd
