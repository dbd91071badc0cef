// AVL record decoders for codecs 8, 8E, 16 and 7 (see teltonika_records.h).
#include "core/time_util.h"
#include "protocol/teltonika/teltonika_records.h"

#include <algorithm>
#include <cmath>

#include "fleetd/attribute_keys.h"
#include "protocol/teltonika/teltonika_io_apply.h"
#include "protocol/teltonika/teltonika_record_reader.h"

namespace fleetd::teltonika {
namespace {

Message& NewMessage(const RecordContext& ctx, std::vector<Message>& out) {
  Message& msg = out.emplace_back();
  msg.device_uid = ctx.device_uid;
  msg.protocol = "teltonika";
  msg.received_at = ctx.received_at;
  return msg;
}

void SetKind(Message& msg) {
  msg.kind = msg.alarm ? MessageKind::kAlarm : msg.has_position() ? MessageKind::kPosition : MessageKind::kStatus;
}

Status Truncated() { return Status(StatusCode::kMalformed, "AVL record cut short"); }

// Sort prefixes of the header attributes, at compile time (the hot path).
constexpr uint64_t kEventIoIdPrefix = KeyPrefix(attr::kEventIoId);
constexpr uint64_t kGenerationTypePrefix = KeyPrefix(attr::kGenerationType);
constexpr uint64_t kPriorityPrefix = KeyPrefix(attr::kPriority);

// Fills a Message from a codec 8 / 8E / 16 record as the reader walks it.
class AvlSink {
 public:
  AvlSink(Message& msg, const RecordContext& ctx) : msg_(msg), ctx_(ctx), io_(msg, AvlIoTable(), ctx.fmb) {}

  void OnHeader(const RecordHeader& h) {
    const bool coords_ok = std::abs(int64_t{h.lat_raw}) <= 900000000 && std::abs(int64_t{h.lng_raw}) <= 1800000000;
    const bool time_ok = h.ts_ms >= 0 && h.ts_ms <= kMaxTimestampMs;
    if (!ctx_.lenient && (!coords_ok || h.angle > 360 || !time_ok)) {
      status_ = Status(StatusCode::kOutOfRange, "impossible coordinates, angle or time in an AVL record");
      return;
    }
    if (time_ok) msg_.ts = h.ts_ms;  // lenient: an impossible clock leaves the time absent
    msg_.valid = h.satellites > 0;
    // 0/0 with no satellites: the device has never had a fix; no position.
    if (coords_ok && (h.lat_raw != 0 || h.lng_raw != 0 || h.satellites > 0)) {
      msg_.lat = h.lat_raw / 1e7;
      msg_.lng = h.lng_raw / 1e7;
      msg_.altitude_m = h.altitude_m;
      msg_.heading = h.angle % 360;
      msg_.speed_kmh = h.speed_kmh;
    }
    msg_.satellites = h.satellites;
    if (h.event_id != 0) io_.HeaderInt(attr::kEventIoId, kEventIoIdPrefix, h.event_id);
    if (h.generation >= 0) io_.HeaderInt(attr::kGenerationType, kGenerationTypePrefix, h.generation);
    io_.HeaderInt(attr::kPriority, kPriorityPrefix, h.priority);
  }
  void OnGhFix(const GhFix&) {}
  void OnIo(uint16_t id, uint64_t raw, uint8_t size) { io_.Fixed(id, raw, size); }
  void OnIoBytes(uint16_t id, std::span<const uint8_t> value) { io_.Bytes(id, value); }

  void Finish() { io_.Finish(); }
  const Status& status() const { return status_; }

 private:
  Message& msg_;
  const RecordContext& ctx_;
  IoApplier io_;
  Status status_;
};

// Fills a Message from a codec 7 (GH3000) record.
class GhSink {
 public:
  GhSink(Message& msg, const RecordContext& ctx) : msg_(msg), ctx_(ctx), io_(msg, Gh3000IoTable(), true) {}

  void OnHeader(const RecordHeader&) {}
  void OnGhFix(const GhFix& f) {
    const uint8_t m = f.location_mask;
    if (!f.has_location) {
      io_.HeaderInt(attr::kDeviceTime, KeyPrefix(attr::kDeviceTime), f.ts_ms);  // no fix: the device's clock only
      return;
    }
    if (f.ts_ms < 0 || f.ts_ms > kMaxTimestampMs) {
      if (!ctx_.lenient) {
        status_ = Status(StatusCode::kOutOfRange, "impossible time in a GH3000 record");
        return;
      }
    } else {
      msg_.ts = f.ts_ms;
    }
    if (m & 0x01) {
      const bool ok = std::isfinite(f.lat) && std::isfinite(f.lng) && std::fabs(f.lat) <= 90 && std::fabs(f.lng) <= 180;
      if (!ok && !ctx_.lenient) {
        status_ = Status(StatusCode::kOutOfRange, "impossible coordinates in a GH3000 record");
        return;
      }
      if (ok) {
        msg_.lat = f.lat;
        msg_.lng = f.lng;
      }
    }
    if (m & 0x02) msg_.altitude_m = f.altitude_m;
    if (m & 0x04) msg_.heading = f.angle * 360.0 / 256;
    if (m & 0x08) msg_.speed_kmh = f.speed_kmh;
    if (m & 0x10) msg_.satellites = f.satellites;
    msg_.valid = (m & 0x10) ? f.satellites > 0 : msg_.has_position();
    if ((m & 0x20) && (m & 0x80) && f.operator_code >= 1000) {
      const uint32_t divisor = f.operator_code >= 100000 ? 1000 : 100;
      msg_.cell = CellTower{f.operator_code / divisor, f.operator_code % divisor, f.lac, f.cell_id};
    }
    if (m & 0x40) io_.HeaderInt(attr::kRssi, KeyPrefix(attr::kRssi), f.rssi);
  }
  void OnIo(uint16_t id, uint64_t raw, uint8_t size) { io_.Fixed(id, raw, size); }
  void OnIoBytes(uint16_t id, std::span<const uint8_t> value) { io_.Bytes(id, value); }

  void Finish() { io_.Finish(); }
  const Status& status() const { return status_; }

 private:
  Message& msg_;
  const RecordContext& ctx_;
  IoApplier io_;
  Status status_;
};

void Reserve(std::vector<Message>& out, uint8_t count, size_t remaining, uint8_t codec) {
  // The count comes from the wire: never reserve more records than the bytes can hold.
  out.reserve(out.size() + std::min<size_t>(count, remaining / MinRecordSize(codec) + 1));
}

}  // namespace

Status DecodeAvlRecords(ByteReader& r, uint8_t codec, uint8_t count, bool extended, const RecordContext& ctx,
                        std::vector<Message>& out) {
  Reserve(out, count, r.remaining(), codec);
  for (uint32_t i = 0; i < count; ++i) {
    Message& msg = NewMessage(ctx, out);
    AvlSink sink(msg, ctx);
    if (!ReadAvlRecord(r, codec, extended, sink)) return Truncated();
    if (!sink.status().ok()) return sink.status();
    sink.Finish();
    SetKind(msg);
  }
  return Status::Ok();
}

Status DecodeGh3000Records(ByteReader& r, uint8_t count, const RecordContext& ctx, std::vector<Message>& out) {
  Reserve(out, count, r.remaining(), kCodecGh3000);
  for (uint32_t i = 0; i < count; ++i) {
    Message& msg = NewMessage(ctx, out);
    GhSink sink(msg, ctx);
    if (!ReadGh3000Record(r, sink)) return Truncated();
    if (!sink.status().ok()) return sink.status();
    sink.Finish();
    SetKind(msg);
  }
  return Status::Ok();
}

}  // namespace fleetd::teltonika
