// libFuzzer target for the MQTT 5 packet codec: whatever a broker (or
// something posing as one) sends fleetd's client. The bytes are framed as a
// stream; every framed packet goes through every decoder. Beyond not
// crashing: a frame never claims more bytes than it was given, and a decoded
// PUBLISH's payload lies inside its packet.
#include <cstdint>

#include "fuzz_check.h"
#include "listen/mqtt/mqtt_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetd::mqtt;
  std::span<const uint8_t> rest(data, size);
  for (int i = 0; i < 1000 && !rest.empty(); ++i) {
    auto framed = FramePacket(rest, 4096);
    if (!framed.ok() || *framed == 0) break;
    FUZZ_CHECK(*framed <= rest.size(), "a frame claimed more bytes than it was given");
    auto packet = rest.first(*framed);
    (void)DecodeConnack(packet);
    (void)DecodePuback(packet);
    (void)DecodeSuback(packet);
    (void)DecodeDisconnect(packet);
    auto publish = DecodePublish(packet);
    if (publish.ok() && !publish->payload.empty()) {
      FUZZ_CHECK(publish->payload.data() >= packet.data() &&
                     publish->payload.data() + publish->payload.size() <= packet.data() + packet.size(),
                 "a PUBLISH payload points outside its packet");
    }
    rest = rest.subspan(*framed);
  }
  return 0;
}
