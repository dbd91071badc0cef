// Ais140Decoder: envelope, dialect lookup, field conversion, checksum, kind.
#include "protocol/ais140/ais140_decoder.h"

#include "protocol/ais140/ais140_fields.h"
#include "protocol/ais140/ais140_layouts.h"
#include "protocol/ais140/ais140_wire.h"

namespace fleetd {

Status Ais140Decoder::Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                             DecodeOutput& out) const {
  ais140::Sentence sentence;
  if (Status s = ais140::ParseSentence(frame, sentence); !s.ok()) return s;
  const ais140::Layout* layout = ais140::FindLayout(sentence);
  if (layout == nullptr) return Status(StatusCode::kMalformed, "fields match no known AIS-140 layout");

  Message msg;
  msg.protocol = "ais140";
  msg.received_at = received_at;
  std::string_view imei;
  if (Status s = ais140::ApplyLayout(*layout, sentence, msg, imei); !s.ok()) return s;
  if (!session.lenient) {
    if (Status s = ais140::VerifyChecksums(*layout, sentence); !s.ok()) return s;
  }

  msg.device_uid = std::string(imei);
  switch (layout->kind) {
    case ais140::SentenceKind::kLogin:
      // The login's coordinates are where the device booted, not a fix with a time.
      msg.kind = MessageKind::kLogin;
      msg.lat.reset();
      msg.lng.reset();
      msg.valid.reset();
      break;
    case ais140::SentenceKind::kHealth:
      msg.kind = MessageKind::kHeartbeat;
      break;
    case ais140::SentenceKind::kTracking:
    case ais140::SentenceKind::kEmergency:
      msg.kind = msg.alarm ? MessageKind::kAlarm : msg.has_position() ? MessageKind::kPosition : MessageKind::kStatus;
      break;
  }
  if (layout->kind == ais140::SentenceKind::kLogin || session.device_uid.empty()) session.device_uid = msg.device_uid;
  out.messages.push_back(std::move(msg));
  return Status::Ok();
}

}  // namespace fleetd
