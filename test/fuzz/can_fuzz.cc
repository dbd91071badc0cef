// libFuzzer target for the CAN payload decoders (src/protocol/can), which
// every tracker protocol calls with bytes straight from the vehicle.
//
// Input layout: byte 0 picks the entry point (mod 5):
//   0: ApplyJ1939 on a decoded PGN (byte 1 picks which), data = the rest
//   1: ApplyJ1939Frame, CAN id = bytes 1-4 little-endian, data = the rest
//   2: ApplyObdPid, pid = byte 1, data = the rest
//   3: ApplyObdResponse on the rest
//   4: ApplyObdDtcs on the rest
#include <cstdint>
#include <span>

#include "fuzz_check.h"
#include "message_checks.h"
#include "protocol/can/j1939.h"
#include "protocol/can/obd.h"

namespace {

constexpr uint32_t kPgns[] = {fleetd::kPgnEec1, fleetd::kPgnVdhr, fleetd::kPgnVd,   fleetd::kPgnHours,
                              fleetd::kPgnLfc,  fleetd::kPgnEt1,  fleetd::kPgnCcvs, fleetd::kPgnDd};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetd;
  if (size < 2) return 0;
  const std::span<const uint8_t> in(data, size);
  Message m;
  Status s;
  switch (in[0] % 5) {
    case 0:
      s = ApplyJ1939(kPgns[in[1] % std::size(kPgns)], in.subspan(2), m);
      FUZZ_CHECK(s.ok() || s.code() == StatusCode::kMalformed, "a decoded PGN is unsupported");
      break;
    case 1: {
      if (size < 5) return 0;
      const uint32_t id = in[1] | in[2] << 8 | in[3] << 16 | uint32_t{in[4]} << 24;
      FUZZ_CHECK(J1939Pgn(id) <= 0x3FFFF, "a PGN wider than 18 bits");
      s = ApplyJ1939Frame(id, in.subspan(5), m);
      break;
    }
    case 2:
      s = ApplyObdPid(in[1], in.subspan(2), m);
      break;
    case 3:
      s = ApplyObdResponse(in.subspan(1), m);
      break;
    default:
      s = ApplyObdDtcs(in.subspan(1), m);
      FUZZ_CHECK(DecodeDtc(in[0], in[1]).size() == 5, "a trouble code is not 5 characters");
      break;
  }
  if (!s.ok()) FUZZ_CHECK(m == Message{}, "an error changed the message");
  fuzz::CheckMessage(m);
  return 0;
}
