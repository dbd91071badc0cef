// The live feed on the wire: how one Update() batch travels over Redis
// pub/sub to every other fleetd instance. A payload is a text header line,
// then the body in the form the header names:
//
//   v2 (written):  "fleetd-live v2 <origin>\n" + envelope body
//   v1 (read):     "fleetd-live v1 <origin>\n" + JSON array of [tenant_id, device_id, message]
//
// The v2 body is the binary envelope codec's (core/envelope_codec.h): one
// envelope in the single form, or 2 to 65535 in the list form; a batch of
// more envelopes is published as several payloads, in order. It replaced
// v1 because every API node with a WebSocket client decodes every other
// node's batches, and parsing their JSON was that node's main CPU cost; it
// also carries each message exactly (non-finite numbers, invalid UTF-8).
// v1's `message` is schema-v1 JSON (core/message_json.h); v1 is still
// accepted so that old and new nodes can share a channel during a rolling
// upgrade (old nodes reject v2: upgrade the API nodes first).
//
// The origin (a random id per RedisLiveState, no newline) comes first so an
// instance can recognize and skip its own batches — it has delivered them
// to its listeners already — without decoding the body.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/queue.h"
#include "fleetd/status.h"

namespace fleetd {

struct LiveFeedPayloads {
  std::vector<std::string> payloads;  // to publish in this order
  size_t left_out = 0;                // envelopes the binary form cannot hold
};

// The v2 payloads of `batch`: one per kMaxEnvelopesPerList envelopes, in
// batch order, none for an empty batch. An envelope that EncodeEnvelope
// refuses (a string or an attribute count beyond its length field) is left
// out of the payloads and counted in `left_out`. `origin` must be non-empty
// and hold no newline.
LiveFeedPayloads EncodeLiveBatch(std::string_view origin, std::span<const Envelope> batch);

// The origin of a v1 or v2 payload, or "" if it is neither.
std::string_view LiveBatchOrigin(std::string_view payload);

// Every envelope of a v1 or v2 payload, or kMalformed / kBadLength /
// kInvalidArgument (never an exception, never an allocation sized by an
// unchecked count) for anything another publisher on the channel might send.
Result<std::vector<Envelope>> DecodeLiveBatch(std::string_view payload);

}  // namespace fleetd
