// H02 cell-tower reports without a fix: NBR (serving + neighbour cells) and
// V3 (cells with the mcc and mnc run together). The first tower becomes
// Message::cell, all of them the cell_towers attribute; the device's clock
// goes to device_time.
#include "fleetd/attribute_keys.h"
#include "protocol/h02/h02_handlers.h"

namespace fleetd::h02 {
namespace {

constexpr uint64_t kMaxCells = 24;  // NBR and V3 carry up to 7 in practice

Status Malformed(const char* why) { return Status(StatusCode::kMalformed, why); }

// Device time + status word that close NBR and V3.
Status ApplyClockAndStatus(std::string_view date, std::string_view time, std::string_view status, Message& msg) {
  if (Status s = ApplyDeviceClock(date, time, msg); !s.ok()) return s;
  uint64_t word = 0;
  if (!IsHexWord(status) || !ParseHex(status, word)) return Malformed("status is not 8 hex digits");
  ApplyStatus(static_cast<uint32_t>(word), msg);
  return Status::Ok();
}

Status ParseTower(std::string_view lac_text, std::string_view cid_text, int64_t mcc, int64_t mnc, CellTower& out) {
  uint64_t lac = 0, cid = 0;
  if (!ParseUint(lac_text, lac) || !ParseUint(cid_text, cid) || lac > 0xFFFF || cid > 0xFFFFFFF) {
    return Malformed("cell lac/cid");
  }
  out = CellTower{mcc, mnc, static_cast<int64_t>(lac), static_cast<int64_t>(cid)};
  return Status::Ok();
}

}  // namespace

Status DecodeNeighbours(Context& c) {
  // NBR,hhmmss,mcc,mnc,delay,count,(lac,cid,rssi)*count,ddmmyy,status[,...]
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  const Fields& f = c.fields;
  uint64_t mcc = 0, mnc = 0, count = 0;
  if (!ParseUint(f[1], mcc) || !ParseUint(f[2], mnc) || !ParseUint(f[4], count) || mcc > 999 || mnc > 999 ||
      count > kMaxCells || f.size < 7 + 3 * count) {
    return Malformed("NBR header or cell count");
  }
  std::string towers;
  for (size_t i = 0; i < count; ++i) {
    CellTower tower;
    int64_t rssi = 0;
    if (Status s = ParseTower(f[5 + 3 * i], f[6 + 3 * i], static_cast<int64_t>(mcc), static_cast<int64_t>(mnc), tower);
        !s.ok()) {
      return s;
    }
    if (!ParseInt(f[7 + 3 * i], rssi)) return Malformed("NBR cell rssi");
    if (!c.msg.cell) c.msg.cell = tower;
    AppendTower(towers, tower, rssi);
  }
  const size_t tail = 5 + 3 * count;
  if (Status s = ApplyClockAndStatus(f[tail], f[0], f[tail + 1], c.msg); !s.ok()) return s;
  if (!towers.empty()) c.msg.attributes.Set(attr::kCellTowers, std::move(towers));
  if (tail + 2 < f.size) c.msg.attributes.Set(attr::kExtraFields, std::string(f.From(tail + 2, c.body)));
  return Status::Ok();
}

Status DecodeCells(Context& c) {
  // V3,hhmmss,<mcc:3><mnc>,count,(lac,cid,?,[dBm])*count,battery:4hex,reboot,X,ddmmyy,status
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  const Fields& f = c.fields;
  uint64_t mcc = 0, mnc = 0, count = 0;
  if (f[1].size() < 4 || !ParseUint(f[1].substr(0, 3), mcc) || !ParseUint(f[1].substr(3), mnc) ||
      !ParseUint(f[2], count) || count > kMaxCells || f.size < 8 + 4 * count) {
    return Malformed("V3 header or cell count");
  }
  const size_t tail = 3 + 4 * count;
  uint64_t battery = 0;
  if (f[tail].size() != 4 || !ParseHex(f[tail], battery) || f[tail + 2] != "X") return Malformed("V3 tail");
  std::string towers;
  for (size_t i = 0; i < count; ++i) {
    CellTower tower;
    const size_t at = 3 + 4 * i;
    if (Status s = ParseTower(f[at], f[at + 1], static_cast<int64_t>(mcc), static_cast<int64_t>(mnc), tower); !s.ok()) {
      return s;
    }
    std::optional<int64_t> rssi;
    if (int64_t dbm = 0; ParseInt(f[at + 3], dbm)) rssi = dbm;
    if (!c.msg.cell) c.msg.cell = tower;
    AppendTower(towers, tower, rssi);
  }
  c.msg.attributes.Set(attr::kBatteryRaw, static_cast<int64_t>(battery));
  if (!towers.empty()) c.msg.attributes.Set(attr::kCellTowers, std::move(towers));
  return ApplyClockAndStatus(f[tail + 3], f[0], f[tail + 4], c.msg);
}

}  // namespace fleetd::h02
