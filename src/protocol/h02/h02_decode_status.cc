// H02 heartbeats (HTBT, V0, LINK) and text answers (SMS): no fix.
#include "fleetd/attribute_keys.h"
#include "protocol/h02/h02_handlers.h"

namespace fleetd::h02 {
namespace {

Status Malformed(const char* why) { return Status(StatusCode::kMalformed, why); }

Status SetBatteryLevel(std::string_view text, Message& msg) {
  uint64_t level = 0;
  if (!ParseUint(text, level)) return Malformed("battery level is not a number");
  if (level > 100) return Status(StatusCode::kOutOfRange, "battery level above 100%");
  msg.attributes.Set(attr::kBatteryLevel, static_cast<int64_t>(level));
  return Status::Ok();
}

}  // namespace

Status DecodeHeartbeat(Context& c) {
  // HTBT[,battery%]: many firmwares send the bare keep-alive.
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  if (TrimSpaces(c.fields[0]).empty()) return Status::Ok();
  return SetBatteryLevel(c.fields[0], c.msg);
}

Status DecodeLink(Context& c) {
  // LINK,hhmmss,gsm signal,satellites,battery%,steps,turnovers,ddmmyy,status
  if (!SplitFields(c.body, c.fields)) return Malformed("too many fields");
  const Fields& f = c.fields;
  Message& msg = c.msg;
  uint64_t signal = 0, satellites = 0, steps = 0, turnovers = 0;
  if (f.size < 8 || !ParseUint(f[1], signal) || !ParseUint(f[2], satellites) || !ParseUint(f[4], steps) ||
      !ParseUint(f[5], turnovers) || satellites > 99 || signal > 999) {
    return Malformed("LINK fields");
  }
  if (Status s = SetBatteryLevel(f[3], msg); !s.ok()) return s;
  if (Status s = ApplyDeviceClock(f[6], f[0], msg); !s.ok()) return s;
  msg.attributes.Set(attr::kGsmSignal, static_cast<int64_t>(signal));
  msg.satellites = static_cast<int>(satellites);
  uint64_t status = 0;
  if (!IsHexWord(f[7]) || !ParseHex(f[7], status)) return Malformed("status is not 8 hex digits");
  ApplyStatus(static_cast<uint32_t>(status), msg);
  msg.attributes.Set(attr::kSteps, static_cast<int64_t>(steps));
  msg.attributes.Set(attr::kTurnovers, static_cast<int64_t>(turnovers));
  return Status::Ok();
}

Status DecodeSms(Context& c) {
  // SMS,<the text the device would have sent by SMS>: commas and line breaks included.
  if (c.body.empty()) return Malformed("empty SMS text");
  c.msg.attributes.Set(attr::kCommandResult, std::string(c.body));
  return Status::Ok();
}

}  // namespace fleetd::h02
