// Record decoders: one function per record family. Each reads `count`
// records from the reader and appends one Message per record. Internal to
// teltonika; the data-field decoder (teltonika_data.h) picks the function by
// codec and checks what surrounds the records.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/byte_reader.h"
#include "fleetd/message.h"
#include "fleetd/status.h"

namespace fleetd::teltonika {

struct RecordContext {
  std::string_view device_uid;
  TimestampMs received_at = 0;
  bool lenient = false;  // impossible coordinates drop the position instead of the packet
  bool fmb = true;       // the FMB-family IO rows apply (IsFmbFamily(model))
};

// Codecs 8, 8E, 16 (`extended`: with the 16-byte IO group). kMalformed when
// a record is cut short; kOutOfRange (strict) for impossible coordinates,
// angle or time.
Status DecodeAvlRecords(ByteReader& r, uint8_t codec, uint8_t count, bool extended, const RecordContext& ctx,
                        std::vector<Message>& out);

// Codec 7 (GH3000). Same errors.
Status DecodeGh3000Records(ByteReader& r, uint8_t count, const RecordContext& ctx, std::vector<Message>& out);

// Codecs 12 and 13: the device's answers to commands (text, or hex when not
// printable) as command_result; codec 13's GTSL driver card reports as
// driver_id. kUnsupported for camera transfers (type 0x0D); kMalformed when
// a record is cut short.
Status DecodeCommandRecords(ByteReader& r, uint8_t codec, uint8_t count, const RecordContext& ctx,
                            std::vector<Message>& out);

}  // namespace fleetd::teltonika
