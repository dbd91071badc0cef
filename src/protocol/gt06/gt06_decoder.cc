// Gt06Decoder: envelope checks, session check, dispatch by protocol number
// through one table (handler, message kind, reply), then the reply.
#include "protocol/gt06/gt06_decoder.h"

#include <array>

#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_handlers.h"

namespace fleetd {
namespace gt06 {

Status Truncated() { return Status(StatusCode::kMalformed, "message shorter than its layout"); }

void SetDeviceTime(Message& msg, TimestampMs ts) { SetAttr(msg, attr::kDeviceTime, int64_t{ts}); }

namespace {

enum class Reply : uint8_t {
  kNone,
  kAck,          // 7878 05 <type> <serial> <crc> 0D0A
  kAckSameForm,  // the ack in the frame's own form (7979 for 0x7979 frames)
};

struct TypeSpec {
  Handler handler = nullptr;
  MessageKind kind = MessageKind::kOther;
  Reply reply = Reply::kNone;
};

struct Row {
  uint8_t type;
  TypeSpec spec;
};

constexpr MessageKind kPos = MessageKind::kPosition;
constexpr MessageKind kSts = MessageKind::kStatus;

// Every protocol number fleetd handles. The kind is the row's, except that a
// message with an alarm is kAlarm, one with a fix kPosition, and a kPosition
// row that yielded no fix kStatus.
constexpr Row kRows[] = {
    {0x01, {DecodeLogin, MessageKind::kLogin, Reply::kAck}},
    {0x10, {DecodeGpsOnly, kPos, Reply::kNone}},
    {0x11, {DecodeGpsLbs6, kPos, Reply::kNone}},
    {0x12, {DecodeGpsLbs1, kPos, Reply::kNone}},
    {0x13, {DecodeStatus, MessageKind::kHeartbeat, Reply::kAck}},
    {0x15, {DecodeString, MessageKind::kOther, Reply::kAck}},
    {0x16, {DecodeGpsLbsStatus, kPos, Reply::kAck}},
    {0x17, {DecodeGpsLbsRfid, kPos, Reply::kNone}},
    {0x18, {DecodeLbsMultiple, kSts, Reply::kNone}},
    {0x19, {DecodeLbsStatus, kSts, Reply::kAck}},
    {0x1E, {DecodeGpsOnly, kPos, Reply::kNone}},
    {0x21, {DecodeStringInfo, MessageKind::kOther, Reply::kNone}},
    {0x22, {DecodeGpsLbs2, kPos, Reply::kNone}},
    {0x23, {DecodeHeartbeat, MessageKind::kHeartbeat, Reply::kAck}},
    {0x24, {DecodeLbsMultiple3, kPos, Reply::kNone}},
    {0x25, {DecodeGpsLbs2, kPos, Reply::kNone}},
    {0x26, {DecodeGpsLbsStatus, kPos, Reply::kAck}},
    {0x27, {DecodeGpsLbsStatus, kPos, Reply::kAck}},
    {0x28, {DecodeLbsMultiple, kSts, Reply::kNone}},
    {0x2C, {DecodeLbsMultiple, kSts, Reply::kNone}},
    {0x2E, {DecodeLbsMultiple, kSts, Reply::kNone}},
    {0x31, {DecodeGpsLbs5, kPos, Reply::kNone}},
    {0x32, {DecodeGpsLbsStatus4, kPos, Reply::kAckSameForm}},
    {0x33, {DecodeGpsLbsStatus4, kPos, Reply::kAckSameForm}},
    {0x34, {DecodeX1Gps, kPos, Reply::kNone}},
    {0x36, {DecodeStatus2, kSts, Reply::kAck}},
    {0x37, {DecodeGpsLbs3, kPos, Reply::kNone}},
    {0x38, {DecodeGpsLbs8, kPos, Reply::kNone}},
    {0x61, {DecodeIButton, kPos, Reply::kAck}},
    {0x66, {DecodePid, MessageKind::kTelemetry, Reply::kNone}},
    {0x69, {DecodeWifi, kSts, Reply::kNone}},
    {0x70, {DecodeModular, kPos, Reply::kAck}},
    {0x8A, {DecodeTimeRequest, MessageKind::kOther, Reply::kNone}},
    {0x8C, {DecodeObd, MessageKind::kTelemetry, Reply::kNone}},
    {0x94, {DecodeInfo, kSts, Reply::kNone}},
    {0x95, {DecodeAlarmEvent, kPos, Reply::kAck}},
    {0x9B, {DecodeSerialData, MessageKind::kOther, Reply::kNone}},
    {0xA0, {DecodeGpsLbs7, kPos, Reply::kNone}},
    {0xA1, {DecodeLbsMultiple, kSts, Reply::kNone}},
    {0xA2, {DecodeWifi3, kSts, Reply::kNone}},
    {0xA3, {DecodeFenceSingle, kPos, Reply::kAck}},
    {0xA4, {DecodeGpsLbsStatus, kPos, Reply::kAck}},
    {0xA5, {DecodeLbsAlarm, kSts, Reply::kAck}},
    {0xA7, {DecodeLbsAddress, kSts, Reply::kNone}},
    {0xF1, {DecodeDeviceStatus, kSts, Reply::kAck}},
    {0xF2, {DecodePeripheral, kSts, Reply::kAck}},
    {0xF3, {DecodeWifi4, kSts, Reply::kNone}},
};

constexpr std::array<TypeSpec, 256> MakeTable() {
  std::array<TypeSpec, 256> table{};
  for (const Row& row : kRows) table[row.type] = row.spec;
  return table;
}

constexpr std::array<TypeSpec, 256> kTable = MakeTable();

}  // namespace
}  // namespace gt06

Status Gt06Decoder::Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                           DecodeOutput& out) const {
  gt06::Packet packet;
  if (Status s = gt06::ParsePacket(frame, session.lenient, packet); !s.ok()) return s;
  const gt06::TypeSpec& spec = gt06::kTable[packet.type];
  if (spec.handler == nullptr) return Status(StatusCode::kUnsupported, "unhandled GT06 message type");
  if (packet.type != 0x01 && session.device_uid.empty()) {
    return Status(StatusCode::kNoSession, "message before login");
  }

  Message msg;
  msg.device_uid = session.device_uid;
  msg.protocol = "gt06";
  msg.received_at = received_at;
  const size_t reply_mark = out.reply.size();
  gt06::Context context{packet, session, gt06::ClassifyModel(session.model), received_at, msg, out.reply};
  if (Status s = spec.handler(context); !s.ok()) {
    out.reply.resize(reply_mark);
    return s;
  }

  if (spec.reply != gt06::Reply::kNone && packet.serial) {
    const bool long_form = spec.reply == gt06::Reply::kAckSameForm && packet.extended;
    gt06::AppendFrame(out.reply, long_form, packet.type, {}, *packet.serial);
  }
  if (!context.emit) return Status::Ok();
  if (msg.alarm) {
    msg.kind = MessageKind::kAlarm;
  } else if (msg.has_position()) {
    msg.kind = MessageKind::kPosition;
  } else {
    msg.kind = spec.kind == MessageKind::kPosition ? MessageKind::kStatus : spec.kind;
  }
  gt06::SetAttr(msg, attr::kMessageType, int64_t{packet.type});
  out.messages.push_back(std::move(msg));
  return Status::Ok();
}

}  // namespace fleetd
