// Reading one AVL record, shared by the decoder (which fills a Message) and
// the structural walk (which only measures). A template over a "sink" keeps
// the two from drifting apart without a virtual call per IO element.
//
// Every count read from the wire only bounds a loop that stops as soon as
// the reader runs out of bytes; nothing is allocated from it.
#pragma once

#include <bit>
#include <cstddef>
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

// A sink that records nothing: for measuring. kMeasureOnly lets the reader
// skip a fixed-size IO group in one step instead of reading its elements.
struct NullSink {
  static constexpr bool kMeasureOnly = true;
  void OnHeader(const RecordHeader&) {}
  void OnGhFix(const GhFix&) {}
  void OnIo(uint16_t, uint64_t, uint8_t) {}
  void OnIoBytes(uint16_t, std::span<const uint8_t>) {}
};

namespace detail {
inline uint16_t ReadWide(ByteReader& r, bool wide) { return wide ? r.U16() : r.U8(); }

template <typename Sink>
concept MeasureOnly = Sink::kMeasureOnly;

template <size_t kSize>
uint64_t LoadBigEndian(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kSize; ++i) v = v << 8 | p[i];
  return v;
}

// One fixed-size IO group: count, then (id, value) pairs of kSize-byte values.
template <uint8_t kSize, typename Sink>
void ReadFixedGroup(ByteReader& r, bool wide_count, bool wide_id, Sink& sink) {
  const uint16_t n = ReadWide(r, wide_count);
  if constexpr (MeasureOnly<Sink>) {
    r.Skip(size_t{n} * ((wide_id ? 2 : 1) + kSize));  // fails, as reading would, when the bytes run out
  } else {
    // The whole group is bounds-checked once (a cut-short group fails the
    // record before any of it reaches the sink), then read without checks.
    const size_t width = (wide_id ? 2 : 1) + kSize;
    const std::span<const uint8_t> group = r.Bytes(size_t{n} * width);
    if (!r.ok()) return;
    const uint8_t* p = group.data();
    for (uint32_t i = 0; i < n; ++i, p += width) {
      const uint16_t id = wide_id ? static_cast<uint16_t>(LoadBigEndian<2>(p)) : p[0];
      sink.OnIo(id, LoadBigEndian<kSize>(p + (wide_id ? 2 : 1)), kSize);
    }
  }
}
}  // namespace detail

// Codecs 8 (1-byte ids and counts), 8E (2-byte ids and counts plus a
// variable-length group) and 16 (2-byte ids, 1-byte counts, generation
// type). `extended` adds the 16-byte group after the 8-byte one. Returns
// false when the reader ran out of bytes.
template <typename Sink>
bool ReadAvlRecord(ByteReader& r, uint8_t codec, bool extended, Sink& sink) {
  const bool wide_count = codec == kCodec8Ext;
  const bool wide_id = codec == kCodec8Ext || codec == kCodec16;
  // The fixed-size header, bounds-checked once: time:8 priority:1 lng:4
  // lat:4 altitude:2 angle:2 satellites:1 speed:2 event id:1/2
  // [generation:1] count:1/2.
  const size_t id_width = wide_id ? 2 : 1;
  const size_t count_width = wide_count ? 2 : 1;
  const size_t generation_width = codec == kCodec16 ? 1 : 0;
  const std::span<const uint8_t> head = r.Bytes(24 + id_width + generation_width + count_width);
  if (!r.ok()) return false;
  const uint8_t* p = head.data();
  RecordHeader h;
  h.ts_ms = static_cast<int64_t>(detail::LoadBigEndian<8>(p));
  h.priority = p[8];
  h.lng_raw = static_cast<int32_t>(detail::LoadBigEndian<4>(p + 9));
  h.lat_raw = static_cast<int32_t>(detail::LoadBigEndian<4>(p + 13));
  h.altitude_m = static_cast<int16_t>(detail::LoadBigEndian<2>(p + 17));
  h.angle = static_cast<uint16_t>(detail::LoadBigEndian<2>(p + 19));
  h.satellites = p[21];
  h.speed_kmh = static_cast<uint16_t>(detail::LoadBigEndian<2>(p + 22));
  p += 24;
  h.event_id = static_cast<uint16_t>(wide_id ? detail::LoadBigEndian<2>(p) : p[0]);
  p += id_width;
  if (generation_width != 0) h.generation = *p++;
  h.io_count = static_cast<uint16_t>(wide_count ? detail::LoadBigEndian<2>(p) : p[0]);  // a hint only
  sink.OnHeader(h);
  detail::ReadFixedGroup<1>(r, wide_count, wide_id, sink);
  detail::ReadFixedGroup<2>(r, wide_count, wide_id, sink);
  detail::ReadFixedGroup<4>(r, wide_count, wide_id, sink);
  detail::ReadFixedGroup<8>(r, wide_count, wide_id, sink);
  if (extended) {
    const uint16_t n = detail::ReadWide(r, wide_count);
    if constexpr (detail::MeasureOnly<Sink>) {
      r.Skip(size_t{n} * ((wide_id ? 2 : 1) + 16));
    } else {
      for (uint32_t i = 0; i < n && r.ok(); ++i) {
        const uint16_t id = detail::ReadWide(r, wide_id);
        auto value = r.Bytes(16);
        if (r.ok()) sink.OnIoBytes(id, value);
      }
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
