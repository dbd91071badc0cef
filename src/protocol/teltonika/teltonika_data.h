// The data field shared by TCP packets and UDP datagrams: codec, record
// count, records, record count again. Internal to teltonika.
#pragma once

#include <cstdint>
#include <span>

#include "fleetd/decoder.h"
#include "protocol/teltonika/teltonika_records.h"

namespace fleetd::teltonika {

struct DataResult {
  uint8_t codec = 0;
  uint8_t records = 0;  // the record count, for the acknowledgement
};

// Decodes `data` (codec byte first). Strict: the records must be followed by
// exactly the repeated count. Lenient: the repeated count may be missing
// and bytes may follow it (a CRC the envelope could not place). Codecs 8,
// 8E and 16 are read with the extended 16-byte IO group when the plain
// layout does not fit the bytes and the extended one does. On error
// nothing is appended to `out`. Errors: kUnsupported (unknown codec, camera
// transfer), kBadLength (zero or mismatched counts, bytes left over),
// kMalformed (records cut short), kOutOfRange.
Status DecodeDataField(std::span<const uint8_t> data, const RecordContext& ctx, DecodeOutput& out,
                       DataResult& result);

}  // namespace fleetd::teltonika
