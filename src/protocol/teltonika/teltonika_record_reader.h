// Reading one AVL record, shared by the decoder (which fills a Message) and
// the structural walk (which only measures). A template over a "sink" keeps
// the two from drifting apart without a virtual call per IO element.
//
// Every count read from the wire only bounds a loop that stops as soon as
// the reader runs out of bytes; nothing is allocated from it.
#pragma once

#include <bit>
#include <cstdint>
#include <span>

#include "core/byte_reader.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd::teltonika {

// The fixed part of a codec 8 / 8E / 16 record.
struct RecordHeader {
  int64_t ts_ms = 0;
  uint8_t priority = 0;       // 0 low, 1 high, 2 panic
  int32_t lng_raw = 0;        // degrees * 1e7, signed
  int32_t lat_raw = 0;
  int16_t altitude_m = 0;
  uint16_t angle = 0;         // degrees, 0 = north
  uint8_t satellites = 0;
  uint16_t speed_kmh = 0;
  uint16_t event_id = 0;      // IO id that triggered the record, 0 = periodic
  int16_t generation = -1;    // codec 16 generation type, -1 elsewhere
  uint16_t io_count = 0;      // total IO elements as announced (unchecked: a hint only)
};

// The location part of a codec 7 (GH3000) record; presence by mask bits.
struct GhFix {
  int64_t ts_ms = 0;
  bool has_location = false;  // global mask bit 0
  uint8_t location_mask = 0;
  float lat = 0, lng = 0;     // location mask bit 0
  uint16_t altitude_m = 0;    // bit 1
  uint8_t angle = 0;          // bit 2, 360/256 degree steps
  uint8_t speed_kmh = 0;      // bit 3
  uint8_t satellites = 0;     // bit 4
  uint16_t lac = 0, cell_id = 0;  // bit 5
  uint8_t rssi = 0;           // bit 6
  uint32_t operator_code = 0; // bit 7, MCC * 100 + MNC (or * 1000 for 3-digit MNCs)
};

// A sink that records nothing: for measuring.
struct NullSink {
  void OnHeader(const RecordHeader&) {}
  void OnGhFix(const GhFix&) {}
  void OnIo(uint16_t, uint64_t, uint8_t) {}
  void OnIoBytes(uint16_t, std::span<const uint8_t>) {}
};

namespace detail {
inline uint16_t ReadWide(ByteReader& r, bool wide) { return wide ? r.U16() : r.U8(); }
}  // namespace detail

// Codecs 8 (1-byte ids and counts), 8E (2-byte ids and counts plus a
// variable-length group) and 16 (2-byte ids, 1-byte counts, generation
// type). `extended` adds the 16-byte group after the 8-byte one. Returns
// false when the reader ran out of bytes.
template <typename Sink>
bool ReadAvlRecord(ByteReader& r, uint8_t codec, bool extended, Sink& sink) {
  const bool wide_count = codec == kCodec8Ext;
  const bool wide_id = codec == kCodec8Ext || codec == kCodec16;
  RecordHeader h;
  h.ts_ms = static_cast<int64_t>(r.U64());
  h.priority = r.U8();
  h.lng_raw = r.I32();
  h.lat_raw = r.I32();
  h.altitude_m = r.I16();
  h.angle = r.U16();
  h.satellites = r.U8();
  h.speed_kmh = r.U16();
  h.event_id = detail::ReadWide(r, wide_id);
  if (codec == kCodec16) h.generation = r.U8();
  h.io_count = detail::ReadWide(r, wide_count);  // redundant with the groups' own counts
  if (!r.ok()) return false;
  sink.OnHeader(h);
  for (uint8_t size : {uint8_t{1}, uint8_t{2}, uint8_t{4}, uint8_t{8}}) {
    const uint16_t n = detail::ReadWide(r, wide_count);
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      const uint16_t id = detail::ReadWide(r, wide_id);
      const uint64_t raw = size == 1 ? r.U8() : size == 2 ? r.U16() : size == 4 ? r.U32() : r.U64();
      if (r.ok()) sink.OnIo(id, raw, size);
    }
  }
  if (extended) {
    const uint16_t n = detail::ReadWide(r, wide_count);
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      const uint16_t id = detail::ReadWide(r, wide_id);
      auto value = r.Bytes(16);
      if (r.ok()) sink.OnIoBytes(id, value);
    }
  }
  if (codec == kCodec8Ext) {
    const uint16_t n = r.U16();
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      const uint16_t id = r.U16();
      auto value = r.Bytes(r.U16());
      if (r.ok()) sink.OnIoBytes(id, value);
    }
  }
  return r.ok();
}

// Codec 7 (GH3000): a 30-bit time in seconds since 2007-01-01, a global
// mask (bit 0 location, bits 1-3 the 1-, 2- and 4-byte IO groups) and a
// location mask. Returns false when the reader ran out of bytes.
template <typename Sink>
bool ReadGh3000Record(ByteReader& r, Sink& sink) {
  constexpr int64_t kEpoch2007 = 1167609600;  // 2007-01-01T00:00:00Z, seconds
  GhFix f;
  f.ts_ms = (int64_t{r.U32() & 0x3FFFFFFF} + kEpoch2007) * 1000;
  const uint8_t global = r.U8();
  if (global & 0x01) {
    f.has_location = true;
    const uint8_t m = f.location_mask = r.U8();
    if (m & 0x01) {
      f.lat = std::bit_cast<float>(r.U32());
      f.lng = std::bit_cast<float>(r.U32());
    }
    if (m & 0x02) f.altitude_m = r.U16();
    if (m & 0x04) f.angle = r.U8();
    if (m & 0x08) f.speed_kmh = r.U8();
    if (m & 0x10) f.satellites = r.U8();
    if (m & 0x20) {
      f.lac = r.U16();
      f.cell_id = r.U16();
    }
    if (m & 0x40) f.rssi = r.U8();
    if (m & 0x80) f.operator_code = r.U32();
  }
  if (!r.ok()) return false;
  sink.OnGhFix(f);
  const uint8_t sizes[] = {1, 2, 4};
  for (int g = 0; g < 3; ++g) {
    if (!(global & (0x02 << g))) continue;
    const uint8_t n = r.U8();
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      const uint8_t id = r.U8();
      const uint8_t size = sizes[g];
      const uint64_t raw = size == 1 ? r.U8() : size == 2 ? r.U16() : r.U32();
      if (r.ok()) sink.OnIo(id, raw, size);
    }
  }
  return r.ok();
}

// Codec 12 / 13 record: type, size:4, payload (codec 13: seconds:4 first,
// counted in size). Returns the payload span via `payload`, false on a
// short read.
inline bool ReadCommandRecord(ByteReader& r, uint8_t* type, std::span<const uint8_t>* payload) {
  *type = r.U8();
  const uint32_t size = r.U32();
  *payload = r.Bytes(size);  // fails (no allocation) when size exceeds what is left
  return r.ok();
}

}  // namespace fleetd::teltonika
