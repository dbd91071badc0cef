// libFuzzer target for the binary envelope codec (one envelope or the list
// form, core/envelope_codec.h): what a JetStream consumer reads from the
// stream, which anyone who can publish to the subjects can write. Beyond
// not crashing: whatever decodes re-encodes to bytes that decode to the
// same encoding (the codec is lossless, NaN payloads included, so bytes are
// compared, not values). live_feed_fuzz covers the same body on the Redis
// live feed.
#include <cstdint>
#include <string>

#include "core/envelope_codec.h"
#include "fuzz_check.h"

namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Encode(const std::vector<fleetd::Envelope>& envelopes) {
  std::string out;
  if (envelopes.size() == 1) {
    FUZZ_CHECK(fleetd::EncodeEnvelope(envelopes[0], out).ok(), "a decoded envelope does not encode");
  } else {
    FUZZ_CHECK(fleetd::EncodeEnvelopeList(envelopes, out).ok(), "a decoded list does not encode");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = fleetd::DecodeEnvelopes({data, size});
  if (!decoded.ok()) return 0;
  FUZZ_CHECK(!decoded->empty(), "decoded to no envelope at all");
  const std::string once = Encode(*decoded);
  auto again = fleetd::DecodeEnvelopes(Bytes(once));
  FUZZ_CHECK(again.ok(), "the re-encoding does not decode");
  FUZZ_CHECK(again->size() == decoded->size(), "the re-encoding changed the envelope count");
  FUZZ_CHECK(Encode(*again) == once, "the codec is not stable under a round trip");
  return 0;
}
