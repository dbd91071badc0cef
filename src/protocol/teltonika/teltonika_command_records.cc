// Codec 12 and 13 records: the device's answers to GPRS commands (see
// teltonika_records.h). They carry no position.
#include <algorithm>
#include <optional>
#include <string>

#include "core/hex.h"
#include "fleetd/attribute_keys.h"
#include "protocol/teltonika/teltonika_record_reader.h"
#include "protocol/teltonika/teltonika_records.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd::teltonika {
namespace {

constexpr uint8_t kCameraType = 0x0D;

bool IsPrintable(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(),
                     [](uint8_t b) { return (b >= 0x20 && b < 0x7F) || b == '\r' || b == '\n'; });
}

std::string Trim(std::span<const uint8_t> bytes) {
  size_t begin = 0, end = bytes.size();
  while (begin < end && bytes[begin] <= ' ') ++begin;
  while (end > begin && bytes[end - 1] <= ' ') --end;
  return std::string(bytes.begin() + begin, bytes.begin() + end);
}

// Codec 13 driver card report: "GTSL|<a>|<b>|<c>|<driver id>|..."
std::optional<std::string> GtslDriver(const std::string& text) {
  if (text.rfind("GTSL", 0) != 0) return std::nullopt;
  size_t at = 0;
  for (int field = 0; field < 4; ++field) {
    at = text.find('|', at);
    if (at == std::string::npos) return std::nullopt;
    ++at;
  }
  return text.substr(at, text.find('|', at) - at);
}

}  // namespace

Status DecodeCommandRecords(ByteReader& r, uint8_t codec, uint8_t count, const RecordContext& ctx,
                            std::vector<Message>& out) {
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t type = 0;
    std::span<const uint8_t> payload;
    if (!ReadCommandRecord(r, &type, &payload)) return Status(StatusCode::kMalformed, "command record cut short");
    if (type == kCameraType) return Status(StatusCode::kUnsupported, "camera (photo) transfer");

    Message& msg = out.emplace_back();
    msg.device_uid = ctx.device_uid;
    msg.protocol = "teltonika";
    msg.received_at = ctx.received_at;
    msg.kind = MessageKind::kOther;
    if (codec == kCodec13) {
      if (payload.size() < 4) return Status(StatusCode::kMalformed, "codec 13 record without its timestamp");
      const int64_t secs = int64_t{payload[0]} << 24 | payload[1] << 16 | payload[2] << 8 | payload[3];
      msg.attributes.Set(attr::kDeviceTime, secs * 1000);
      payload = payload.subspan(4);
    }
    msg.attributes.Set(attr::kMessageType, int64_t{type});
    if (!IsPrintable(payload)) {
      msg.attributes.Set(attr::kCommandResult, ToHex(payload));
      continue;
    }
    std::string text = Trim(payload);
    if (auto driver = GtslDriver(text); driver && codec == kCodec13) {
      msg.attributes.Set(attr::kDriverId, std::move(*driver));
    } else {
      msg.attributes.Set(attr::kCommandResult, std::move(text));
    }
  }
  return Status::Ok();
}

}  // namespace fleetd::teltonika
