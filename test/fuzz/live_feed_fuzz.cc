// libFuzzer target for the Redis live feed payload (live_feed_codec.h): what
// every fleetd instance reads from the pub/sub channel, which anyone who can
// reach Redis can publish. Both forms are read (v2 binary, v1 JSON). Beyond
// not crashing: a payload that decodes has an origin, and its envelopes
// re-encode to v2 payloads that decode to the same count and encode again
// to the same bytes (bytes, not values: the binary form keeps NaN payloads).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "live/redis/live_feed_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetd;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const std::string_view origin = LiveBatchOrigin(payload);
  auto decoded = DecodeLiveBatch(payload);
  if (!decoded.ok()) return 0;
  FUZZ_CHECK(!origin.empty(), "a payload without an origin decoded");

  const LiveFeedPayloads once = EncodeLiveBatch(origin, *decoded);
  std::vector<Envelope> again;
  for (const std::string& p : once.payloads) {
    FUZZ_CHECK(LiveBatchOrigin(p) == origin, "the re-encoding lost the origin");
    auto part = DecodeLiveBatch(p);
    FUZZ_CHECK(part.ok(), "the re-encoding does not decode");
    again.insert(again.end(), part->begin(), part->end());
  }
  FUZZ_CHECK(again.size() + once.left_out == decoded->size(), "the re-encoding changed the envelope count");
  FUZZ_CHECK(EncodeLiveBatch(origin, again).payloads == once.payloads, "the feed is not stable under a round trip");
  return 0;
}
