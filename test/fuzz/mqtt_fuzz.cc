// libFuzzer target for the MQTT device payload decoder: any bytes a gateway
// publishes. Beyond not crashing, an accepted payload gives exactly one
// message that writes to JSON and reads back unchanged (store, API, feed).
#include <cstdint>

#include "core/message_json.h"
#include "fuzz_check.h"
#include "protocol/mqtt/mqtt_payload_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetd;
  const MqttPayloadDecoder decoder;
  DecodeSession session;
  session.device_uid = "860000000000001";
  DecodeOutput out;
  const Status s = decoder.Decode({data, size}, session, 1779359400000, out);
  if (!s.ok()) {
    FUZZ_CHECK(out.messages.empty(), "a rejected payload produced messages");
    return 0;
  }
  FUZZ_CHECK(out.messages.size() == 1, "an accepted payload must give exactly one message");
  const Result<Message> again = MessageFromJsonText(MessageToJsonText(out.messages[0]));
  FUZZ_CHECK(again.ok(), "a decoded payload does not read back from its own JSON");
  return 0;
}
