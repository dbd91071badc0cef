#include "listen/mqtt/mqtt_packet.h"

namespace fleetd::mqtt {
namespace {

constexpr uint32_t kMaxRemainingLength = 268435455;  // 4 varint bytes

Status Malformed(std::string why) { return Status(StatusCode::kMalformed, "mqtt: " + std::move(why)); }

// Property identifiers (MQTT 5, section 2.2.2.2) that fleetd reads or sends.
enum Property : uint8_t {
  kSessionExpiry = 0x11,
  kAssignedClientId = 0x12,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
};

// How each property's value is encoded, so unknown ones can be skipped.
enum class PropertyForm { kByte, kU16, kU32, kVarint, kString, kBinary, kPair, kInvalid };

PropertyForm FormOf(uint8_t id) {
  switch (id) {
    case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
      return PropertyForm::kByte;
    case 0x13: case 0x21: case 0x22: case 0x23:
      return PropertyForm::kU16;
    case 0x02: case 0x11: case 0x18: case 0x27:
      return PropertyForm::kU32;
    case 0x0B:
      return PropertyForm::kVarint;
    case 0x03: case 0x08: case 0x12: case 0x15: case 0x1A: case 0x1C: case 0x1F:
      return PropertyForm::kString;
    case 0x09: case 0x16:
      return PropertyForm::kBinary;
    case 0x26:
      return PropertyForm::kPair;
    default:
      return PropertyForm::kInvalid;
  }
}

// Bounds-checked big-endian reader over one packet's bytes.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t left() const { return bytes_.size() - pos_; }
  bool ok() const { return ok_; }

  uint8_t U8() {
    if (left() < 1) return Fail();
    return bytes_[pos_++];
  }
  uint16_t U16() {
    if (left() < 2) return Fail();
    uint16_t v = static_cast<uint16_t>(bytes_[pos_] << 8 | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t U32() {
    if (left() < 4) return Fail();
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | bytes_[pos_ + i];
    pos_ += 4;
    return v;
  }
  uint32_t Varint() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (left() < 1) return Fail();
      uint8_t b = bytes_[pos_++];
      value |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
      if (!(b & 0x80)) return value;
    }
    return Fail();
  }
  std::span<const uint8_t> Bytes(size_t n) {
    if (left() < n) {
      Fail();
      return {};
    }
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // A length-prefixed string or binary field.
  std::span<const uint8_t> Prefixed() { return Bytes(U16()); }
  std::string String() {
    auto b = Prefixed();
    return std::string(b.begin(), b.end());
  }
  std::span<const uint8_t> Rest() { return Bytes(left()); }

 private:
  uint8_t Fail() {
    ok_ = false;
    pos_ = bytes_.size();
    return 0;
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Walks a property block, calling `on(id, reader)` positioned at each value;
// `on` returns true if it consumed the value, false to have it skipped.
template <typename OnProperty>
Status ReadProperties(Reader& r, OnProperty on) {
  uint32_t length = r.Varint();
  if (!r.ok() || length > r.left()) return Malformed("property length exceeds the packet");
  Reader props(r.Bytes(length));
  while (props.left() > 0) {
    uint8_t id = props.U8();
    if (on(id, props)) continue;
    switch (FormOf(id)) {
      case PropertyForm::kByte: props.U8(); break;
      case PropertyForm::kU16: props.U16(); break;
      case PropertyForm::kU32: props.U32(); break;
      case PropertyForm::kVarint: props.Varint(); break;
      case PropertyForm::kString:
      case PropertyForm::kBinary: props.Prefixed(); break;
      case PropertyForm::kPair: props.Prefixed(); props.Prefixed(); break;
      case PropertyForm::kInvalid: return Malformed("unknown property 0x" + std::to_string(id));
    }
    if (!props.ok()) return Malformed("truncated property");
  }
  return props.ok() ? Status::Ok() : Malformed("truncated property");
}

void PutU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
void PutVarint(std::vector<uint8_t>& out, uint32_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}
void PutString(std::vector<uint8_t>& out, std::string_view s) {
  PutU16(out, static_cast<uint16_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// Appends fixed header + body.
void Finish(uint8_t first_byte, const std::vector<uint8_t>& body, std::vector<uint8_t>& out) {
  out.push_back(first_byte);
  PutVarint(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

// The bytes after the fixed header of a framed packet.
std::span<const uint8_t> Body(std::span<const uint8_t> packet) {
  size_t i = 1;
  while (i < packet.size() && (packet[i] & 0x80)) ++i;
  return i + 1 <= packet.size() ? packet.subspan(i + 1) : std::span<const uint8_t>();
}

Status ExpectType(std::span<const uint8_t> packet, PacketType type) {
  if (packet.empty() || TypeOf(packet) != type) return Malformed("unexpected packet type");
  return Status::Ok();
}

}  // namespace

Result<size_t> FramePacket(std::span<const uint8_t> buf, size_t max_packet) {
  if (buf.size() < 2) return size_t{0};
  uint32_t remaining = 0;
  size_t i = 1;
  for (;; ++i) {
    if (i > 4) return Status(StatusCode::kBadLength, "mqtt: remaining length longer than 4 bytes");
    if (i >= buf.size()) return size_t{0};
    remaining |= static_cast<uint32_t>(buf[i] & 0x7F) << (7 * (i - 1));
    if (!(buf[i] & 0x80)) break;
  }
  size_t total = i + 1 + static_cast<size_t>(remaining);
  if (remaining > kMaxRemainingLength || total > max_packet) {
    return Status(StatusCode::kBadLength, "mqtt: packet of " + std::to_string(total) + " bytes exceeds the limit of " +
                                              std::to_string(max_packet));
  }
  return buf.size() >= total ? total : size_t{0};
}

PacketType TypeOf(std::span<const uint8_t> packet) { return static_cast<PacketType>(packet[0] >> 4); }

void EncodeConnect(const ConnectOptions& o, std::vector<uint8_t>& out) {
  std::vector<uint8_t> body;
  PutString(body, "MQTT");
  body.push_back(5);
  uint8_t flags = 0;
  if (o.clean_start) flags |= 0x02;
  if (!o.username.empty()) {
    flags |= 0x80;
    if (!o.password.empty()) flags |= 0x40;
  }
  body.push_back(flags);
  PutU16(body, o.keep_alive_s);
  std::vector<uint8_t> props;
  if (o.session_expiry_s) {
    props.push_back(kSessionExpiry);
    PutU32(props, o.session_expiry_s);
  }
  if (o.receive_maximum != 65535) {
    props.push_back(kReceiveMaximum);
    PutU16(props, o.receive_maximum);
  }
  if (o.maximum_packet_size) {
    props.push_back(kMaximumPacketSize);
    PutU32(props, o.maximum_packet_size);
  }
  PutVarint(body, static_cast<uint32_t>(props.size()));
  body.insert(body.end(), props.begin(), props.end());
  PutString(body, o.client_id);
  if (!o.username.empty()) {
    PutString(body, o.username);
    if (!o.password.empty()) PutString(body, o.password);
  }
  Finish(0x10, body, out);
}

void EncodePublish(std::string_view topic, std::span<const uint8_t> payload, uint8_t qos, bool retain,
                   uint16_t packet_id, std::vector<uint8_t>& out) {
  const size_t remaining = 2 + topic.size() + (qos ? 2 : 0) + 1 + payload.size();
  out.reserve(out.size() + 5 + remaining);
  out.push_back(static_cast<uint8_t>(0x30 | (qos & 0x03) << 1 | (retain ? 1 : 0)));
  PutVarint(out, static_cast<uint32_t>(remaining));
  PutString(out, topic);
  if (qos) PutU16(out, packet_id);
  out.push_back(0);  // no properties
  out.insert(out.end(), payload.begin(), payload.end());
}

void EncodePuback(uint16_t packet_id, std::vector<uint8_t>& out) {
  // Reason 0 and no properties: MQTT 5 lets both be left out (3.4.2.1).
  out.push_back(0x40);
  out.push_back(2);
  PutU16(out, packet_id);
}

void EncodeSubscribe(uint16_t packet_id, std::string_view filter, uint8_t max_qos, std::vector<uint8_t>& out) {
  std::vector<uint8_t> body;
  PutU16(body, packet_id);
  body.push_back(0);  // no properties
  PutString(body, filter);
  body.push_back(max_qos & 0x03);
  Finish(0x82, body, out);
}

void EncodePingreq(std::vector<uint8_t>& out) {
  out.push_back(0xC0);
  out.push_back(0);
}

void EncodeDisconnect(uint8_t reason, std::vector<uint8_t>& out) {
  out.push_back(0xE0);
  out.push_back(1);
  out.push_back(reason);
}

Result<Connack> DecodeConnack(std::span<const uint8_t> packet) {
  if (Status s = ExpectType(packet, PacketType::kConnack); !s.ok()) return s;
  Reader r(Body(packet));
  Connack c;
  c.session_present = r.U8() & 0x01;
  c.reason = r.U8();
  if (!r.ok()) return Malformed("truncated CONNACK");
  if (r.left() == 0) return c;  // a refusal may omit its properties
  Status s = ReadProperties(r, [&](uint8_t id, Reader& p) {
    switch (id) {
      case kReceiveMaximum: c.receive_maximum = p.U16(); return true;
      case kMaximumPacketSize: c.maximum_packet_size = p.U32(); return true;
      case kAssignedClientId: c.assigned_client_id = p.String(); return true;
      case kReasonString: c.reason_string = p.String(); return true;
      default: return false;
    }
  });
  if (!s.ok()) return s;
  if (c.receive_maximum == 0) return Malformed("CONNACK receive maximum 0");
  return c;
}

Result<Publish> DecodePublish(std::span<const uint8_t> packet) {
  if (Status s = ExpectType(packet, PacketType::kPublish); !s.ok()) return s;
  Publish p;
  p.dup = packet[0] & 0x08;
  p.qos = (packet[0] >> 1) & 0x03;
  p.retain = packet[0] & 0x01;
  if (p.qos == 3) return Malformed("PUBLISH with QoS 3");
  Reader r(Body(packet));
  p.topic = r.String();
  if (p.qos) p.packet_id = r.U16();
  if (!r.ok()) return Malformed("truncated PUBLISH");
  if (p.qos && p.packet_id == 0) return Malformed("PUBLISH with packet id 0");
  bool aliased = false;
  Status s = ReadProperties(r, [&](uint8_t id, Reader&) {
    aliased = aliased || id == kTopicAlias;
    return false;
  });
  if (!s.ok()) return s;
  // We announce no topic aliases (Topic Alias Maximum 0), so a broker must not use them.
  if (aliased) return Malformed("PUBLISH uses a topic alias we did not allow");
  if (p.topic.empty()) return Malformed("PUBLISH without a topic");
  p.payload = r.Rest();
  return p;
}

Result<Puback> DecodePuback(std::span<const uint8_t> packet) {
  if (Status s = ExpectType(packet, PacketType::kPuback); !s.ok()) return s;
  Reader r(Body(packet));
  Puback a;
  a.packet_id = r.U16();
  if (r.left() > 0) a.reason = r.U8();
  if (!r.ok()) return Malformed("truncated PUBACK");
  return a;
}

Result<Suback> DecodeSuback(std::span<const uint8_t> packet) {
  if (Status s = ExpectType(packet, PacketType::kSuback); !s.ok()) return s;
  Reader r(Body(packet));
  Suback a;
  a.packet_id = r.U16();
  if (!r.ok()) return Malformed("truncated SUBACK");
  Status s = ReadProperties(r, [&](uint8_t id, Reader& p) {
    if (id != kReasonString) return false;
    a.reason_string = p.String();
    return true;
  });
  if (!s.ok()) return s;
  auto codes = r.Rest();
  if (codes.empty()) return Malformed("SUBACK without reason codes");
  a.reasons.assign(codes.begin(), codes.end());
  return a;
}

Result<Disconnect> DecodeDisconnect(std::span<const uint8_t> packet) {
  if (Status s = ExpectType(packet, PacketType::kDisconnect); !s.ok()) return s;
  Reader r(Body(packet));
  Disconnect d;
  if (r.left() == 0) return d;
  d.reason = r.U8();
  if (r.left() == 0) return d;
  Status s = ReadProperties(r, [&](uint8_t id, Reader& p) {
    if (id != kReasonString) return false;
    d.reason_string = p.String();
    return true;
  });
  if (!s.ok()) return s;
  return d;
}

std::string_view ReasonName(uint8_t reason) {
  switch (reason) {
    case 0x00: return "success";
    case 0x01: return "granted QoS 1";
    case 0x02: return "granted QoS 2";
    case 0x04: return "disconnect with will";
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x83: return "implementation specific error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8A: return "banned";
    case 0x8B: return "server shutting down";
    case 0x8D: return "keep alive timeout";
    case 0x8E: return "session taken over";
    case 0x8F: return "topic filter invalid";
    case 0x90: return "topic name invalid";
    case 0x93: return "receive maximum exceeded";
    case 0x95: return "packet too large";
    case 0x97: return "quota exceeded";
    case 0x9E: return "shared subscriptions not supported";
    default: return "reason code";
  }
}

}  // namespace fleetd::mqtt
