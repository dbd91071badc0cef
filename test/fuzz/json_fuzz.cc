// libFuzzer target for MessageFromJsonText, the reader of messages that come
// from outside a decoder (the MQTT bridge, the API, replayed queues).
//
// Beyond not crashing: whatever it accepts must survive a round trip, since
// fleetd writes accepted messages back out as JSON (store, API, live feed).
#include <cstdint>
#include <string_view>

#include "core/message_json.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetd;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Result<Message> parsed = MessageFromJsonText(text);
  if (!parsed.ok()) return 0;
  const std::string written = MessageToJsonText(*parsed);  // throws on invalid UTF-8: a crash here
  const Result<Message> again = MessageFromJsonText(written);
  FUZZ_CHECK(again.ok(), "an accepted message does not read back from its own JSON");
  FUZZ_CHECK(*again == *parsed, "a JSON round trip changed the message");
  return 0;
}
