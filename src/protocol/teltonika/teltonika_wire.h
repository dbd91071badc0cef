// Teltonika wire constants and the structural walk of an AVL data field.
//
// TCP frames are one of: the IMEI handshake (<len:2> <IMEI digits>), the
// one-byte ping 0xFF, or a data packet 00000000 <len:4> <data: codec,
// count, records, count> <crc:4>. The walk below measures the data field
// from its own contents (codec, counts, IO counts and sizes) without
// trusting the length field; the lenient framer and the decoder's
// extended-layout detection use it. Layouts: docs/protocols/teltonika.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fleetd::teltonika {

// The largest frame fleetd accepts. FMB-family AVL packets stay under
// 1.3 KB (one codec 8 record is at most 783 bytes), camera chunks (codec 12
// type 0x0D) under 2.1 KB; 16 KiB leaves room for codec 8E packets with
// large variable-length IO values. The TCP session keeps twice this per
// connection, so the limit is deliberately not 64 KiB.
inline constexpr size_t kMaxFrameSize = 16 * 1024;
inline constexpr size_t kHeaderSize = 8;  // preamble 00000000 + data length
inline constexpr size_t kCrcSize = 4;     // 0000 + CRC-16/IBM of the data field
inline constexpr size_t kMinDataSize = 3; // codec, count, count
inline constexpr size_t kMaxImeiLength = 20;
inline constexpr uint8_t kPing = 0xFF;

inline constexpr uint8_t kCodecGh3000 = 0x07;
inline constexpr uint8_t kCodec8 = 0x08;
inline constexpr uint8_t kCodec8Ext = 0x8E;
inline constexpr uint8_t kCodec12 = 0x0C;
inline constexpr uint8_t kCodec13 = 0x0D;
inline constexpr uint8_t kCodec16 = 0x10;

bool IsAvlCodec(uint8_t codec);      // 0x07, 0x08, 0x8E, 0x10: records with positions
bool IsKnownCodec(uint8_t codec);    // the above plus 0x0C and 0x0D
// Codecs 8, 8E and 16 may carry the "extended" 16-byte IO group (FMx6 option).
bool MayBeExtended(uint8_t codec);

// Smallest record of an AVL codec (all IO groups empty): bounds reservations.
size_t MinRecordSize(uint8_t codec);

enum class WalkResult { kOk, kNeedMore, kBad };

// Measures a data field (codec byte first) from its contents: the records
// the count announces, then the trailing count, which must equal the first.
// kNeedMore when `data` ends first, kBad for an unknown codec, an empty
// count or a trailer mismatch. On kOk `*size` is the data field's size.
WalkResult WalkData(std::span<const uint8_t> data, bool extended, size_t* size);

// True when `b` is an ASCII digit.
inline bool IsDigit(uint8_t b) { return b >= '0' && b <= '9'; }

}  // namespace fleetd::teltonika
