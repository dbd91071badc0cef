// H02Decoder: the envelope (`*XX,<id>,<type>,...#` or binary `$`), the
// session's device id, dispatch by type through one table (handler, kind,
// reply), then the reply.
#include "protocol/h02/h02_decoder.h"

#include <cctype>

#include "protocol/h02/h02_encoder.h"
#include "protocol/h02/h02_handlers.h"
#include "protocol/h02/h02_wire.h"

namespace fleetd {
namespace h02 {
namespace {

enum class Reply : uint8_t {
  kNone,
  kTimeAck,  // *HQ,<id>,V4,<type>,<yyyyMMddHHmmss>#
  kEcho,     // *XX,<id>,<type>#
};

struct Row {
  std::string_view type;
  Handler handler;
  MessageKind kind;
  Reply reply;
};

// Every message type fleetd handles. The kind is the row's, except that a
// message with an alarm is kAlarm, one with a fix kPosition, and a kPosition
// row that yielded no fix kStatus. Other `V*` types share V1's layout; XT,
// BS, BASE and the rest are kUnsupported (docs/protocols/h02.md).
constexpr Row kRows[] = {
    {"V1", DecodePosition, MessageKind::kPosition, Reply::kTimeAck},
    {"V4", DecodeCommandReply, MessageKind::kPosition, Reply::kNone},
    {"VP1", DecodeVp1, MessageKind::kPosition, Reply::kNone},
    {"V3", DecodeCells, MessageKind::kStatus, Reply::kNone},
    {"NBR", DecodeNeighbours, MessageKind::kStatus, Reply::kTimeAck},
    {"HTBT", DecodeHeartbeat, MessageKind::kHeartbeat, Reply::kEcho},
    {"V0", DecodeHeartbeat, MessageKind::kHeartbeat, Reply::kEcho},
    {"LINK", DecodeLink, MessageKind::kHeartbeat, Reply::kNone},
    {"SMS", DecodeSms, MessageKind::kOther, Reply::kNone},
};
constexpr Row kOtherPosition{"V*", DecodePosition, MessageKind::kPosition, Reply::kNone};

constexpr size_t kMaxIdLength = 20;

const Row* FindRow(std::string_view type) {
  for (const Row& row : kRows) {
    if (row.type == type) return &row;
  }
  if (type.size() >= 2 && type[0] == 'V') {
    for (char ch : type) {
      if (std::isalnum(static_cast<unsigned char>(ch)) == 0) return nullptr;
    }
    return &kOtherPosition;
  }
  return nullptr;
}

bool ValidId(std::string_view id) {
  if (id.size() > kMaxIdLength) return false;
  for (char ch : id) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0) return false;
  }
  return true;
}

Status Malformed(const char* why) { return Status(StatusCode::kMalformed, why); }

void Finish(Message& msg, MessageKind row_kind) {
  if (msg.alarm) {
    msg.kind = MessageKind::kAlarm;
  } else if (msg.has_position()) {
    msg.kind = MessageKind::kPosition;
  } else {
    msg.kind = row_kind == MessageKind::kPosition ? MessageKind::kStatus : row_kind;
  }
}

Status DecodeAscii(std::string_view text, DecodeSession& session, Message& msg, std::vector<uint8_t>& reply) {
  // *XX,<id>,<type>[,<body>]#
  if (text.size() < 5 || text.back() != kAsciiEnd || text[3] != ',' ||
      std::isalnum(static_cast<unsigned char>(text[1])) == 0 ||
      std::isalnum(static_cast<unsigned char>(text[2])) == 0) {
    return Malformed("not *XX,...#");
  }
  const std::string_view header = text.substr(0, 3);
  std::string_view rest = text.substr(4, text.size() - 5);
  const size_t id_end = rest.find(',');
  if (id_end == std::string_view::npos) return Malformed("no message type");
  const std::string_view id = rest.substr(0, id_end);
  rest.remove_prefix(id_end + 1);
  const size_t type_end = rest.find(',');
  const std::string_view type = rest.substr(0, type_end);
  const std::string_view body = type_end == std::string_view::npos ? std::string_view() : rest.substr(type_end + 1);
  if (type.empty()) return Malformed("empty message type");
  if (!ValidId(id)) return Malformed("device id is not alphanumeric or too long");
  const Row* row = FindRow(type);
  if (row == nullptr) return Status(StatusCode::kUnsupported, "unhandled H02 message type");
  if (id.empty() && session.device_uid.empty()) return Status(StatusCode::kNoSession, "no device id yet");

  Fields fields;
  Context context{type, body, fields, msg};
  if (Status s = row->handler(context); !s.ok()) return s;
  if (!id.empty()) {
    if (session.device_uid != id) session.device_uid.assign(id);
    switch (row->reply) {
      case Reply::kNone:
        break;
      case Reply::kTimeAck:
        AppendTimeAck(reply, id, type, msg.received_at);
        break;
      case Reply::kEcho:
        AppendEcho(reply, header, id, type);
        break;
    }
  }
  msg.device_uid = session.device_uid;
  Finish(msg, row->kind);
  return Status::Ok();
}

}  // namespace
}  // namespace h02

Status H02Decoder::Decode(std::span<const uint8_t> frame, DecodeSession& session, TimestampMs received_at,
                          DecodeOutput& out) const {
  // Line breaks in front are left over from the previous frame's end.
  while (!frame.empty() && h02::IsLineBreak(frame.front())) frame = frame.subspan(1);
  if (frame.empty()) return h02::Malformed("empty frame");

  Message msg;
  msg.protocol = "h02";
  msg.received_at = received_at;
  switch (frame[0]) {
    case h02::kAsciiStart: {
      // Some firmwares end with "#\r\n"; binary frames may end in 0x0A as data.
      while (h02::IsLineBreak(frame.back())) frame = frame.first(frame.size() - 1);
      const std::string_view text(reinterpret_cast<const char*>(frame.data()), frame.size());
      const size_t reply_mark = out.reply.size();
      if (Status s = h02::DecodeAscii(text, session, msg, out.reply); !s.ok()) {
        out.reply.resize(reply_mark);
        return s;
      }
      break;
    }
    case h02::kBinaryStart:
      if (Status s = h02::DecodeBinary(frame, session.lenient, msg); !s.ok()) return s;
      if (session.device_uid != msg.device_uid) session.device_uid = msg.device_uid;
      h02::Finish(msg, MessageKind::kPosition);
      break;
    case h02::kAltBinaryStart:
      return Status(StatusCode::kUnsupported, "X binary frames: layout meaning unknown");
    default:
      return h02::Malformed("no *, $ or X start marker");
  }
  out.messages.push_back(std::move(msg));
  return Status::Ok();
}

}  // namespace fleetd
