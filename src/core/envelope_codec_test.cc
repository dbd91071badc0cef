// EnvelopeCodec: every field survives the round trip bit for bit, and
// hostile bytes (truncations, lying lengths, bad enums, trailing garbage)
// are refused without reading past the buffer or sizing an allocation.
#include "core/envelope_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/hex.h"

namespace fleetd {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Envelope FullEnvelope() {
  Envelope e;
  e.tenant_id = 7;
  e.device_id = -42;  // negative ids are not expected, but must not be mangled
  Message& m = e.message;
  m.device_uid = "359710040000001";
  m.protocol = "gt06";
  m.kind = MessageKind::kAlarm;
  m.ts = 1767225600123;
  m.received_at = 1767225601456;
  m.valid = false;
  m.lat = -33.8688197;
  m.lng = 151.2092955;
  m.altitude_m = -12.5;
  m.speed_kmh = 88.25;
  m.heading = 359.9;
  m.satellites = 11;
  m.hdop = 0.9;
  m.ignition = true;
  m.odometer_km = 123456.789;
  m.battery_v = 3.97;
  m.power_v = 12.6;
  m.fuel_pct = 45.5;
  m.engine_temp_c = 91;
  m.rpm = 2100;
  m.alarm = Alarm::kGeneral;
  m.cell = CellTower{460, 0, 9520, 3671};
  m.attributes.Set("a_bool", false);
  m.attributes.Set("b_int", std::numeric_limits<int64_t>::min());
  m.attributes.Set("c_double", std::numeric_limits<double>::infinity());
  m.attributes.Set("d_text", std::string("\xff\xfe not utf-8 \0 inside", 21));
  m.attributes.Set("e_empty", std::string());
  return e;
}

TEST(EnvelopeCodecTest, RoundTripsEveryField) {
  Envelope e = FullEnvelope();
  std::string buf;
  ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
  auto back = DecodeEnvelope(Bytes(buf));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->tenant_id, 7);
  EXPECT_EQ(back->device_id, -42);
  EXPECT_EQ(back->message, e.message);  // every field, attributes and cell included
  EXPECT_EQ(std::get<std::string>(back->message.attributes.at("d_text")).size(), 21u);
}

TEST(EnvelopeCodecTest, RoundTripsAMinimalMessageAndEveryKindAndAlarm) {
  for (int k = 0; k <= static_cast<int>(MessageKind::kOther); ++k) {
    Envelope e;
    e.message.kind = static_cast<MessageKind>(k);
    std::string buf;
    ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
    auto back = DecodeEnvelope(Bytes(buf));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->message, e.message);
    EXPECT_FALSE(back->message.ts.has_value()) << "absent stays absent";
    EXPECT_FALSE(back->message.lat.has_value());
  }
  for (int a = 0; a <= static_cast<int>(Alarm::kGeneral); ++a) {
    Envelope e;
    e.message.alarm = static_cast<Alarm>(a);
    std::string buf;
    ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
    auto back = DecodeEnvelope(Bytes(buf));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->message.alarm, e.message.alarm);
  }
}

TEST(EnvelopeCodecTest, KeepsNaNBitsAndNegativeZero) {
  Envelope e;
  e.message.speed_kmh = std::nan("0x123");
  e.message.heading = -0.0;
  std::string buf;
  ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
  auto back = DecodeEnvelope(Bytes(buf));
  ASSERT_TRUE(back.ok());
  double a = *e.message.speed_kmh, b = *back->message.speed_kmh;
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  EXPECT_TRUE(std::signbit(*back->message.heading));
}

TEST(EnvelopeCodecTest, EveryTruncationIsRefused) {
  std::string buf;
  ASSERT_TRUE(EncodeEnvelope(FullEnvelope(), buf).ok());
  for (size_t n = 0; n < buf.size(); ++n) {
    auto r = DecodeEnvelope(Bytes(buf.substr(0, n)));
    EXPECT_FALSE(r.ok()) << "accepted the first " << n << " of " << buf.size() << " bytes";
  }
}

TEST(EnvelopeCodecTest, TrailingBytesAreRefused) {
  std::string buf;
  ASSERT_TRUE(EncodeEnvelope(FullEnvelope(), buf).ok());
  buf.push_back('\0');
  auto r = DecodeEnvelope(Bytes(buf));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformed);
}

// Offsets into a minimal envelope (no optionals, no attributes, empty strings).
constexpr size_t kUidLen = 25, kProtoLen = 27, kKind = 29, kBits = 30, kAttrCount = 34;

std::string Minimal() {
  std::string buf;
  EXPECT_TRUE(EncodeEnvelope(Envelope{}, buf).ok());
  EXPECT_EQ(buf.size(), kAttrCount + 2);
  return buf;
}

TEST(EnvelopeCodecTest, LyingLengthsAreRefusedNotAllocated) {
  {
    std::string buf = Minimal();
    buf[kUidLen] = '\xff';  // uid claims 65280 bytes
    buf[kUidLen + 1] = '\x00';
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kBadLength);
  }
  {
    std::string buf = Minimal();
    buf[kProtoLen + 1] = '\x05';
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kBadLength);
  }
  {
    // 65535 attributes announced in 2 bytes: rejected before any reserve.
    std::string buf = Minimal();
    buf[kAttrCount] = '\xff';
    buf[kAttrCount + 1] = '\xff';
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kBadLength);
  }
  {
    // A string attribute whose u32 length claims 4 GiB.
    Envelope e;
    e.message.attributes.Set("k", std::string("v"));
    std::string buf;
    ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
    size_t len_at = buf.size() - 1 - 4;
    for (size_t i = 0; i < 4; ++i) buf[len_at + i] = '\xff';
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kBadLength);
  }
}

TEST(EnvelopeCodecTest, BadEnumsVersionsAndFlagsAreRefused) {
  {
    std::string buf = Minimal();
    buf[0] = 2;
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kMalformed);
  }
  {
    std::string buf = Minimal();
    buf[kKind] = static_cast<char>(static_cast<int>(MessageKind::kOther) + 1);
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kMalformed);
  }
  {
    std::string buf = Minimal();
    buf[kBits] = '\x80';  // an unknown presence bit
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kMalformed);
  }
  {
    Envelope e;
    e.message.alarm = Alarm::kSos;
    std::string buf;
    ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
    buf[buf.size() - 3] = static_cast<char>(static_cast<int>(Alarm::kGeneral) + 1);
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kMalformed);
  }
  {
    Envelope e;
    e.message.ignition = true;
    std::string buf;
    ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
    buf[buf.size() - 3] = 2;  // a bool that is neither 0 nor 1
    EXPECT_EQ(DecodeEnvelope(Bytes(buf)).status().code(), StatusCode::kMalformed);
  }
}

TEST(EnvelopeCodecTest, UnsortedOrDuplicateAttributeKeysAreRefused) {
  Envelope e;
  e.message.attributes.Set("a", true);
  e.message.attributes.Set("b", true);
  std::string buf;
  ASSERT_TRUE(EncodeEnvelope(e, buf).ok());
  // Layout tail: count(2) | len(2) 'a' type val | len(2) 'b' type val. Rename b -> a.
  std::string dup = buf;
  dup[dup.size() - 3] = 'a';
  EXPECT_EQ(DecodeEnvelope(Bytes(dup)).status().code(), StatusCode::kMalformed);
  std::string unsorted = buf;
  unsorted[unsorted.size() - 8] = 'c';  // first key becomes "c" > "b"
  EXPECT_EQ(DecodeEnvelope(Bytes(unsorted)).status().code(), StatusCode::kMalformed);
}

TEST(EnvelopeCodecTest, OverlongStringsAreRefusedAtEncode) {
  Envelope e;
  e.message.device_uid.assign(70000, '1');
  std::string buf;
  EXPECT_EQ(EncodeEnvelope(e, buf).code(), StatusCode::kInvalidArgument);
}

TEST(EnvelopeCodecTest, SurvivesEveryByteFlip) {
  // Not a proof, a smoke test under sanitizers: any single corrupted byte is
  // either refused or decodes to some envelope, never crashes.
  std::string buf;
  ASSERT_TRUE(EncodeEnvelope(FullEnvelope(), buf).ok());
  int refused = 0;
  for (size_t i = 0; i < buf.size(); ++i) {
    for (uint8_t v : {0x00, 0x01, 0x7f, 0xff}) {
      std::string bad = buf;
      bad[i] = static_cast<char>(v);
      if (!DecodeEnvelope(Bytes(bad)).ok()) ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace fleetd

namespace fleetd {
namespace {

std::vector<Envelope> ThreeEnvelopes() {
  std::vector<Envelope> list(3, FullEnvelope());
  list[1].message.ts = 1767225600999;
  list[1].message.attributes.clear();
  list[2].message = Message{};
  list[2].message.device_uid = "b";
  return list;
}

TEST(EnvelopeListTest, RoundTripsInOrderAndDecodesSingleEnvelopesToo) {
  const auto list = ThreeEnvelopes();
  std::string buf;
  ASSERT_TRUE(EncodeEnvelopeList(list, buf).ok());
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), kEnvelopeListVersion);
  auto back = DecodeEnvelopes(Bytes(buf));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*back)[i].message, list[i].message) << i;
    EXPECT_EQ((*back)[i].tenant_id, list[i].tenant_id);
  }
  std::string one;
  ASSERT_TRUE(EncodeEnvelope(list[0], one).ok());
  auto single = DecodeEnvelopes(Bytes(one));
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->size(), 1u);
  EXPECT_EQ((*single)[0].message, list[0].message);
}

// The bytes themselves, written out from the layout in envelope_codec.h:
// JetStream streams and other nodes' live feeds hold them, so they must
// never change (a new layout needs a new version byte).
TEST(EnvelopeListTest, TheWireFormIsFixed) {
  std::vector<Envelope> list(2);
  list[0].tenant_id = 7;
  list[0].device_id = 42;
  Message& m = list[0].message;
  m.device_uid = "359710040000001";
  m.protocol = "gt06";
  m.ts = 1767225600123;
  m.received_at = 1767225601456;
  m.lat = 52.5;
  m.lng = 13.25;
  m.speed_kmh = 42.5;
  m.attributes.Set("serial", int64_t{42});
  const std::string one_hex =
      "01"                                                      // version
      "0000019b76daadb0"                                        // received_at
      "0000000000000007"                                        // tenant
      "000000000000002a"                                        // device
      "000f333539373130303430303030303031"                      // uid
      "000467743036"                                            // protocol
      "00"                                                      // kind
      "0000002d"                                                // presence: ts, lat, lng, speed
      "0000019b76daa87b"                                        // ts
      "404a400000000000"                                        // lat
      "402a800000000000"                                        // lng
      "4045400000000000"                                        // speed
      "0001"                                                    // attribute count
      "000673657269616c"                                        // key "serial"
      "01"                                                      // int
      "000000000000002a";                                       // 42
  const std::string minimal_hex = "01" + std::string(70, '0');  // version, then zeros and empty strings
  std::string one;
  ASSERT_TRUE(EncodeEnvelope(list[0], one).ok());
  EXPECT_EQ(ToHex(Bytes(one)), one_hex);
  std::string both;
  ASSERT_TRUE(EncodeEnvelopeList(list, both).ok());
  EXPECT_EQ(ToHex(Bytes(both)), "020002" + ("00000068" + one_hex) + ("00000024" + minimal_hex));
}

TEST(EnvelopeListTest, EncodeRefusesListsOfOneOrNone) {
  std::string buf;
  EXPECT_EQ(EncodeEnvelopeList({}, buf).code(), StatusCode::kInvalidArgument);
  std::vector<Envelope> one(1, FullEnvelope());
  EXPECT_EQ(EncodeEnvelopeList(one, buf).code(), StatusCode::kInvalidArgument);
}

TEST(EnvelopeListTest, HostileListsAreRefused) {
  std::string buf;
  ASSERT_TRUE(EncodeEnvelopeList(ThreeEnvelopes(), buf).ok());
  // Every truncation.
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_FALSE(DecodeEnvelopes(Bytes(buf.substr(0, n))).ok()) << "truncated at " << n;
  }
  // Trailing bytes.
  EXPECT_EQ(DecodeEnvelopes(Bytes(buf + "x")).status().code(), StatusCode::kMalformed);
  // A count the bytes cannot hold (65535 entries in ~600 bytes): refused before reserving.
  std::string lying = buf;
  lying[1] = '\xff';
  lying[2] = '\xff';
  EXPECT_EQ(DecodeEnvelopes(Bytes(lying)).status().code(), StatusCode::kBadLength);
  // A count of 0 or 1 is not the list form.
  for (char c : {'\0', '\1'}) {
    std::string small = buf;
    small[1] = '\0';
    small[2] = c;
    EXPECT_FALSE(DecodeEnvelopes(Bytes(small)).ok());
  }
  // An entry length beyond the end.
  std::string long_entry = buf;
  long_entry[3] = '\x7f';
  EXPECT_EQ(DecodeEnvelopes(Bytes(long_entry)).status().code(), StatusCode::kBadLength);
  // A list inside a list is not an envelope.
  std::string nested;
  nested.push_back(static_cast<char>(kEnvelopeListVersion));
  nested.append("\x00\x02", 2);
  for (int i = 0; i < 2; ++i) {
    const uint32_t n = static_cast<uint32_t>(buf.size());
    for (int k = 3; k >= 0; --k) nested.push_back(static_cast<char>((n >> (8 * k)) & 0xff));
    nested += buf;
  }
  EXPECT_EQ(DecodeEnvelopes(Bytes(nested)).status().code(), StatusCode::kMalformed);
  // Every single byte flipped: refused or decoded, never a crash (ASan/UBSan in the fuzz build).
  for (size_t i = 0; i < buf.size(); ++i) {
    std::string flipped = buf;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    (void)DecodeEnvelopes(Bytes(flipped));
  }
}

}  // namespace
}  // namespace fleetd
