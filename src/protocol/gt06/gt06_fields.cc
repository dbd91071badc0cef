// Field readers shared by the GT06 handlers (see gt06_fields.h).
#include "protocol/gt06/gt06_fields.h"

#include <array>
#include <cctype>
#include <string>

#include "core/time_util.h"
#include "fleetd/attribute_keys.h"
#include "protocol/gt06/gt06_alarms.h"

namespace fleetd::gt06 {
namespace {

bool EqualsUpper(std::string_view a, std::string_view upper) {
  if (a.size() != upper.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != upper[i]) return false;
  }
  return true;
}

bool InList(std::string_view model, std::span<const std::string_view> list) {
  for (std::string_view m : list) {
    if (EqualsUpper(model, m)) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 7> kNtModels = {"NT11", "NT20", "NT26", "NT40", "NT46", "VL100", "XT40"};
constexpr std::array<std::string_view, 4> kVlModels = {"VL103", "LL303", "VL512", "G18"};
constexpr double kRawPerDegree = 1800000.0;  // 30000 per minute

Status Missing() { return Status(StatusCode::kMalformed, "message shorter than its layout"); }

uint64_t ReadN(ByteReader& r, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | r.U8();
  return v;
}

Status MakeTime(int yy, int mo, int dd, int hh, int mi, int ss, TimestampMs& out) {
  auto ts = MakeTimestamp(2000 + yy, mo, dd, hh, mi, ss);
  if (!ts) return Status(StatusCode::kOutOfRange, "impossible date");
  out = *ts;
  return Status::Ok();
}

}  // namespace

Model ClassifyModel(std::string_view model) {
  Model m;
  if (model.empty()) return m;
  m.lw = model.size() >= 2 && EqualsUpper(model.substr(0, 2), "LW");
  m.seeworld = EqualsUpper(model, "SEEWORLD");
  m.nt = InList(model, kNtModels);
  m.vl = InList(model, kVlModels);
  m.r11 = EqualsUpper(model, "R11");
  m.qh302r = EqualsUpper(model, "QH302R");
  return m;
}

void SetAttr(Message& msg, std::string_view key, AttributeValue value) {
  // Handlers mostly set keys in ascending order, the cheap case for Attributes.
  msg.attributes.Set(key, std::move(value));
}

Status ReadDate(ByteReader& r, TimestampMs& out) {
  const auto d = r.Bytes(6);
  if (d.empty()) return Missing();
  return MakeTime(d[0], d[1], d[2], d[3], d[4], d[5], out);
}

Status ReadBcdDate(ByteReader& r, TimestampMs& out) {
  const auto d = r.Bytes(6);
  if (d.empty()) return Missing();
  std::array<int, 6> v{};
  for (size_t i = 0; i < 6; ++i) {
    if ((d[i] >> 4) > 9 || (d[i] & 0x0F) > 9) return Status(StatusCode::kMalformed, "time is not BCD");
    v[i] = (d[i] >> 4) * 10 + (d[i] & 0x0F);
  }
  return MakeTime(v[0], v[1], v[2], v[3], v[4], v[5], out);
}

Status ApplyFix(uint32_t lat_raw, uint32_t lng_raw, uint16_t course_status, Message& msg) {
  double lat = lat_raw / kRawPerDegree;
  double lng = lng_raw / kRawPerDegree;
  if (lat > 90.0 || lng > 180.0) return Status(StatusCode::kOutOfRange, "coordinates out of range");
  if (!(course_status & 0x0400)) lat = -lat;  // bit 10 clear: southern hemisphere
  if (course_status & 0x0800) lng = -lng;     // bit 11 set: western hemisphere
  msg.lat = lat;
  msg.lng = lng;
  msg.valid = (course_status & 0x1000) != 0;  // bit 12: GPS positioned
  const int course = course_status & 0x03FF;
  if (course < 360) msg.heading = course;
  if (course_status & 0x4000) msg.ignition = (course_status & 0x8000) != 0;  // bit 14: ACC reported
  return Status::Ok();
}

Status ReadGps(ByteReader& r, Message& msg, GpsLayout layout) {
  TimestampMs ts = 0;
  if (Status s = ReadDate(r, ts); !s.ok()) return s;
  const uint8_t gps_info = layout.satellites ? r.U8() : 0;
  const uint32_t lat = r.U32();
  const uint32_t lng = r.U32();
  uint16_t course_status = layout.flags_before_speed ? r.U16() : 0;
  uint32_t speed = 0;
  if (layout.speed) speed = layout.long_speed ? r.U16() : r.U8();
  if (!layout.flags_before_speed) course_status = r.U16();
  if (!r.ok()) return Missing();
  if (Status s = ApplyFix(lat, lng, course_status, msg); !s.ok()) return s;
  msg.ts = ts;
  if (layout.satellites) msg.satellites = gps_info & 0x0F;
  if (layout.speed) msg.speed_kmh = speed;  // GT06 reports km/h
  return Status::Ok();
}

void SetCell(Message& msg, uint32_t mcc, uint32_t mnc, uint64_t lac, uint64_t cid) {
  if (mcc == 0 && lac == 0 && cid == 0) return;
  msg.cell = CellTower{int64_t{mcc}, int64_t{mnc}, static_cast<int64_t>(lac), static_cast<int64_t>(cid)};
}

void DecodeCellBlock(std::span<const uint8_t> block, Message& msg) {
  ByteReader r(block);
  if (block.size() == 8) {  // no length byte: mcc:2 mnc:1 lac:2 cid:3
    const uint16_t mcc = r.U16();
    const uint8_t mnc = r.U8();
    const uint16_t lac = r.U16();
    SetCell(msg, mcc & 0x7FFF, mnc, lac, r.U24());
    return;
  }
  if (block.size() < 9 || block[0] == 0) return;  // absent or zero-filled
  r.Skip(1);
  const uint16_t mcc = r.U16();
  const size_t mnc_size = (mcc & 0x8000) ? 2 : 1;
  const uint32_t mnc = static_cast<uint32_t>(ReadN(r, mnc_size));
  size_t lac_size = 0;
  size_t cid_size = 0;
  switch (block.size() - 3 - mnc_size) {
    case 5: lac_size = 2, cid_size = 3; break;
    case 6: lac_size = 2, cid_size = 4; break;
    case 12: lac_size = 4, cid_size = 8; break;
    default: return;  // a layout we do not know: keep the rest of the message
  }
  const uint64_t lac = ReadN(r, lac_size);
  const uint64_t cid = ReadN(r, cid_size);
  if (r.ok()) SetCell(msg, mcc & 0x7FFF, mnc, lac, cid);
}

void ApplyTerminalInfo(uint8_t info, Message& msg, bool vxt01) {
  SetAttr(msg, attr::kArmed, (info & 0x01) != 0);
  msg.ignition = (info & 0x02) != 0;
  SetAttr(msg, attr::kCharging, (info & 0x04) != 0);
  SetAttr(msg, attr::kFuelCut, (info & 0x80) != 0);
  if (auto alarm = TerminalInfoAlarm(static_cast<uint8_t>(info >> 3 & 0x07), vxt01)) SetAlarm(msg, *alarm);
}

void ApplyBatteryLevel(uint8_t level, Message& msg) {
  if (level <= 6) {
    SetAttr(msg, attr::kBatteryLevelStep, int64_t{level});
    SetAttr(msg, attr::kBatteryLevel, int64_t{level * 100 / 6});
  } else if (level <= 100) {
    SetAttr(msg, attr::kBatteryLevel, int64_t{level});
  }
}

void ApplyStatusAlarm(uint16_t code, const Model& model, Message& msg) {
  if (code == 0) return;
  SetAttr(msg, attr::kAlarmCode, int64_t{code});
  const AlarmFamily family = model.lw         ? AlarmFamily::kLw
                             : model.seeworld ? AlarmFamily::kSeeworld
                             : model.vl       ? AlarmFamily::kVl
                                              : AlarmFamily::kStandard;
  if (auto alarm = StatusAlarm(code, family)) SetAlarm(msg, *alarm);
}

}  // namespace fleetd::gt06
