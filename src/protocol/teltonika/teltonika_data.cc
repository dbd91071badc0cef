// DecodeDataField (see teltonika_data.h): dispatch by codec, the trailing
// count, and the plain/extended layout choice.
#include "protocol/teltonika/teltonika_data.h"

#include "core/byte_reader.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd::teltonika {
namespace {

Status DecodeRecords(ByteReader& r, uint8_t codec, uint8_t count, bool extended, const RecordContext& ctx,
                     std::vector<Message>& out) {
  switch (codec) {
    case kCodecGh3000: return DecodeGh3000Records(r, count, ctx, out);
    case kCodec12:
    case kCodec13: return DecodeCommandRecords(r, codec, count, ctx, out);
    default: return DecodeAvlRecords(r, codec, count, extended, ctx, out);
  }
}

// One attempt with a given layout: records, then the repeated count
// (unless `check_trailer` is false: a lenient last resort).
Status Attempt(std::span<const uint8_t> data, bool extended, bool check_trailer, const RecordContext& ctx,
               std::vector<Message>& out) {
  ByteReader r(data);
  const uint8_t codec = r.U8();
  const uint8_t count = r.U8();
  if (Status s = DecodeRecords(r, codec, count, extended, ctx, out); !s.ok()) return s;
  if (!check_trailer) return Status::Ok();
  if (r.remaining() == 0) {
    return ctx.lenient ? Status::Ok() : Status(StatusCode::kBadLength, "record count missing after the records");
  }
  if (r.U8() != count) return Status(StatusCode::kBadLength, "record counts before and after the records differ");
  if (r.remaining() != 0 && !ctx.lenient) return Status(StatusCode::kBadLength, "bytes left after the records");
  return Status::Ok();
}

}  // namespace

Status DecodeDataField(std::span<const uint8_t> data, const RecordContext& ctx, DecodeOutput& out,
                       DataResult& result) {
  if (data.size() < 2) return Status(StatusCode::kBadLength, "data field shorter than codec and count");
  result.codec = data[0];
  result.records = data[1];
  if (!IsKnownCodec(result.codec)) return Status(StatusCode::kUnsupported, "unknown Teltonika codec");
  if (result.records == 0) return Status(StatusCode::kBadLength, "zero records");

  const size_t mark = out.messages.size();
  auto rollback = [&] {
    out.messages.erase(out.messages.begin() + static_cast<std::ptrdiff_t>(mark), out.messages.end());
  };
  // When a walk (which reads no values) shows that the plain layout must
  // fail, decoding it would only build messages from misread bytes: try the
  // extended layout first. Same result as plain-then-extended. Lenient
  // decoding accepts a missing trailer, so there only a mismatched trailer
  // proves the plain layout wrong.
  bool extended_failed = false;
  if (MayBeExtended(result.codec)) {
    size_t size = 0;
    const WalkResult walk = WalkData(data, false, &size);
    const bool plain_fails = walk == WalkResult::kBad ||
                             (!ctx.lenient && (walk == WalkResult::kNeedMore || size != data.size()));
    if (plain_fails) {
      if (Attempt(data, true, true, ctx, out.messages).ok()) return Status::Ok();
      rollback();
      extended_failed = true;
    }
  }
  Status s = Attempt(data, false, true, ctx, out.messages);
  if (s.ok()) return s;
  rollback();
  // Misread records look truncated, mismatched or impossible: try the
  // extended layout before giving up.
  if (s.code() != StatusCode::kUnsupported && MayBeExtended(result.codec) && !extended_failed) {
    if (Attempt(data, true, true, ctx, out.messages).ok()) return Status::Ok();
    rollback();
  }
  // Lenient: records that parse but are followed by something other than
  // the repeated count (a record size field that under-counts).
  if (ctx.lenient && s.code() == StatusCode::kBadLength) {
    if (Attempt(data, false, false, ctx, out.messages).ok()) return Status::Ok();
    rollback();
  }
  return s;
}

}  // namespace fleetd::teltonika
