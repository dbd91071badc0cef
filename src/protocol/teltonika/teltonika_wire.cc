// Codec classification and the structural walk (see teltonika_wire.h).
#include "protocol/teltonika/teltonika_wire.h"

#include "protocol/teltonika/teltonika_record_reader.h"

namespace fleetd::teltonika {

bool IsAvlCodec(uint8_t codec) {
  return codec == kCodecGh3000 || codec == kCodec8 || codec == kCodec8Ext || codec == kCodec16;
}

bool IsKnownCodec(uint8_t codec) { return IsAvlCodec(codec) || codec == kCodec12 || codec == kCodec13; }

bool MayBeExtended(uint8_t codec) { return codec == kCodec8 || codec == kCodec8Ext || codec == kCodec16; }

size_t MinRecordSize(uint8_t codec) {
  switch (codec) {
    case kCodecGh3000: return 5;                 // time + global mask
    case kCodec8: return 8 + 1 + 15 + 1 + 1 + 4; // 30
    case kCodec16: return 8 + 1 + 15 + 2 + 1 + 1 + 4;
    case kCodec8Ext: return 8 + 1 + 15 + 2 + 2 + 8 + 2;
    default: return 5;                           // codec 12/13: type + size
  }
}

WalkResult WalkData(std::span<const uint8_t> data, bool extended, size_t* size) {
  if (data.size() < 2) return WalkResult::kNeedMore;
  const uint8_t codec = data[0];
  const uint8_t count = data[1];
  if (!IsKnownCodec(codec) || count == 0) return WalkResult::kBad;
  ByteReader r(data.subspan(2));
  NullSink sink;
  for (uint32_t i = 0; i < count; ++i) {
    bool ok;
    if (codec == kCodecGh3000) {
      ok = ReadGh3000Record(r, sink);
    } else if (codec == kCodec12 || codec == kCodec13) {
      uint8_t type;
      std::span<const uint8_t> payload;
      ok = ReadCommandRecord(r, &type, &payload);
    } else {
      ok = ReadAvlRecord(r, codec, extended, sink);
    }
    if (!ok) return WalkResult::kNeedMore;
  }
  const uint8_t trailer = r.U8();
  if (!r.ok()) return WalkResult::kNeedMore;
  if (trailer != count) return WalkResult::kBad;
  *size = 2 + r.position();
  return WalkResult::kOk;
}

}  // namespace fleetd::teltonika
