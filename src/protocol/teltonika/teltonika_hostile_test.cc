// Hostile input for TeltonikaDecoder: lying counts and lengths, truncation,
// bad CRCs, unknown codecs, data before the handshake, impossible values and
// random mutations of real packets. Nothing may crash, over-read or
// allocate from a wire count; strict mode must say why it rejects.
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "core/crc.h"
#include "core/hex.h"
#include "core/time_util.h"
#include "protocol/teltonika/teltonika_decoder.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "protocol/teltonika/teltonika_udp_decoder.h"
#include "protocol/teltonika/teltonika_vectors.h"

namespace fleetd {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Hex(std::string_view text) { return *ParseHex(text); }

teltonika::AvlRecord Record() {
  teltonika::AvlRecord r;
  r.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 0);
  r.lat = 54.68;
  r.lng = 25.28;
  r.satellites = 9;
  r.io1 = {{239, 1}, {240, 0}};
  r.io2 = {{66, 12000}};
  return r;
}

// The data field of a packet, edited, then sealed again with a good CRC.
Bytes Reseal(const Bytes& packet, const std::function<void(Bytes&)>& edit) {
  Bytes data(packet.begin() + 8, packet.end() - 4);
  edit(data);
  return teltonika::EncodeTcpPacket(data);
}

StatusCode Decode(const Bytes& frame, bool lenient = false, DecodeOutput* out_ptr = nullptr) {
  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", lenient, ""};
  DecodeOutput local;
  DecodeOutput& out = out_ptr ? *out_ptr : local;
  const Status s = decoder.Decode(frame, session, 1, out);
  if (!s.ok()) {
    EXPECT_TRUE(out.messages.empty() && out.reply.empty()) << s.ToString();
  }
  return s.code();
}

TEST(TeltonikaHostile, GoodPacketDecodes) { EXPECT_EQ(Decode(teltonika::EncodeCodec8({Record(), Record()})), StatusCode::kOk); }

TEST(TeltonikaHostile, LyingRecordCounts) {
  const Bytes good = teltonika::EncodeCodec8({Record()});
  // Both counts say 200, one record present: the second record is missing.
  EXPECT_EQ(Decode(Reseal(good, [](Bytes& d) { d[1] = 200, d.back() = 200; })), StatusCode::kMalformed);
  EXPECT_EQ(Decode(Reseal(good, [](Bytes& d) { d[1] = 200, d.back() = 200; }), true), StatusCode::kMalformed);
  // The counts disagree.
  EXPECT_EQ(Decode(Reseal(good, [](Bytes& d) { d.back() = 2; })), StatusCode::kBadLength);
  // Zero records.
  EXPECT_EQ(Decode(teltonika::EncodeTcpPacket({0x08, 0x00, 0x00})), StatusCode::kBadLength);
  // Bytes left over after the records.
  EXPECT_EQ(Decode(Reseal(good, [](Bytes& d) { d.insert(d.end() - 1, {0x55, 0x55}); })), StatusCode::kBadLength);
}

TEST(TeltonikaHostile, IoCountsLargerThanTheData) {
  const Bytes good = teltonika::EncodeCodec8({Record()});
  // Record layout: codec, count, ts:8 prio:1 gps:15 event:1 total:1 n1 @ offset 2+26.
  EXPECT_EQ(Decode(Reseal(good, [](Bytes& d) { d[2 + 26] = 0xFF; })), StatusCode::kMalformed);
  // Codec 8E: 2-byte counts of 65535, and a variable-length element claiming 65535 bytes.
  Bytes ext = {0x8E, 0x01};
  ext.insert(ext.end(), 24, 0x00);                    // ts, priority, gps
  ext.insert(ext.end(), {0x00, 0x00, 0xFF, 0xFF});    // event id, total count
  ext.insert(ext.end(), {0xFF, 0xFF, 0x00, 0xEF, 0x01});  // 65535 one-byte elements, one present
  ext.push_back(0x01);
  EXPECT_EQ(Decode(teltonika::EncodeTcpPacket(ext)), StatusCode::kMalformed);
  Bytes nx = {0x8E, 0x01};
  nx.insert(nx.end(), 24, 0x00);
  nx.insert(nx.end(), {0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});  // four empty groups
  nx.insert(nx.end(), {0x00, 0x01, 0x01, 0x00, 0xFF, 0xFF, 0xAB});        // one NX element of 65535 bytes
  nx.push_back(0x01);
  EXPECT_EQ(Decode(teltonika::EncodeTcpPacket(nx)), StatusCode::kMalformed);
}

TEST(TeltonikaHostile, HugeAndShortLengths) {
  Bytes packet = teltonika::EncodeCodec8({Record()});
  packet[4] = 0x7F;  // 2 GiB
  EXPECT_EQ(Decode(packet), StatusCode::kBadLength);
  EXPECT_EQ(Decode(Hex("000000000000000108000000")), StatusCode::kBadLength);
  EXPECT_EQ(Decode(Hex("0000000000")), StatusCode::kMalformed);
  EXPECT_EQ(Decode(Hex("000f3132")), StatusCode::kBadLength);    // IMEI shorter than its length
  EXPECT_EQ(Decode(Hex("00023132ff")), StatusCode::kBadLength);  // and longer
  EXPECT_EQ(Decode(Hex("0002313a")), StatusCode::kMalformed);    // not a digit
  EXPECT_EQ(Decode({}), StatusCode::kMalformed);
  EXPECT_EQ(Decode(Bytes{0x42}), StatusCode::kMalformed);
}

TEST(TeltonikaHostile, WrongCrcIsRejectedStrictlyAndAcceptedLeniently) {
  Bytes packet = teltonika::EncodeCodec8({Record()});
  packet.back() ^= 0x01;
  EXPECT_EQ(Decode(packet), StatusCode::kBadChecksum);
  DecodeOutput out;
  EXPECT_EQ(Decode(packet, true, &out), StatusCode::kOk);
  EXPECT_EQ(out.messages.size(), 1u);
}

TEST(TeltonikaHostile, DataBeforeTheHandshake) {
  TeltonikaDecoder decoder;
  DecodeSession session;
  DecodeOutput out;
  EXPECT_EQ(decoder.Decode(teltonika::EncodeCodec8({Record()}), session, 1, out).code(), StatusCode::kNoSession);
  EXPECT_TRUE(out.messages.empty() && out.reply.empty());
}

TEST(TeltonikaHostile, UnknownCodec) {
  EXPECT_EQ(Decode(Reseal(teltonika::EncodeCodec8({Record()}), [](Bytes& d) { d[0] = 0x42; })),
            StatusCode::kUnsupported);
  // Camera transfers (codec 12 type 0x0D) are recognised and refused.
  EXPECT_EQ(Decode(Hex("00000000000000090c010D00000001000100000CD8")), StatusCode::kUnsupported);
}

TEST(TeltonikaHostile, ImpossibleCoordinates) {
  auto record = Record();
  Bytes packet = Reseal(teltonika::EncodeCodec8({record}), [](Bytes& d) {
    // latitude (offset 2 + 8 + 1 + 4) := 123 degrees
    const uint32_t lat = 1230000000;
    for (int i = 0; i < 4; ++i) d[15 + i] = static_cast<uint8_t>(lat >> (24 - 8 * i));
  });
  EXPECT_EQ(Decode(packet), StatusCode::kOutOfRange);
  DecodeOutput out;
  EXPECT_EQ(Decode(packet, true, &out), StatusCode::kOk);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_FALSE(out.messages[0].has_position());
  // Angle 400.
  EXPECT_EQ(Decode(Reseal(teltonika::EncodeCodec8({record}), [](Bytes& d) { d[21] = 0x01, d[22] = 0x90; })),
            StatusCode::kOutOfRange);
}

TEST(TeltonikaHostile, EveryPrefixOfEveryPacketIsSafe) {
  auto vectors = teltonika::LoadTeltonikaVectors();
  ASSERT_TRUE(vectors.has_value());
  TeltonikaDecoder tcp;
  TeltonikaUdpDecoder udp;
  for (const auto& c : vectors->cases) {
    const Decoder& decoder = c.framing == "udp" ? static_cast<const Decoder&>(udp) : tcp;
    for (size_t n = 0; n < c.packet.size(); ++n) {
      Bytes prefix(c.packet.begin(), c.packet.begin() + n);
      for (bool lenient : {false, true}) {
        DecodeSession session{"356307042441013", lenient, c.model};
        DecodeOutput out;
        const Status s = decoder.Decode(prefix, session, 1, out);
        if (!lenient && n >= 2 && c.packet[0] == 0 && c.packet[1] == 0) {
          EXPECT_FALSE(s.ok()) << c.id << " accepted with " << n << " bytes";
        }
        if (!s.ok()) {
          EXPECT_TRUE(out.messages.empty() && out.reply.empty()) << c.id;
        }
      }
    }
  }
}

TEST(TeltonikaHostile, RandomMutationsNeverCrash) {
  auto vectors = teltonika::LoadTeltonikaVectors();
  ASSERT_TRUE(vectors.has_value());
  std::mt19937 rng(5027);
  TeltonikaDecoder tcp;
  TeltonikaUdpDecoder udp;
  for (int round = 0; round < 20; ++round) {
    for (const auto& c : vectors->cases) {
      Bytes packet = c.packet;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips && !packet.empty(); ++i) packet[rng() % packet.size()] = static_cast<uint8_t>(rng());
      for (bool lenient : {false, true}) {
        DecodeSession session{"356307042441013", lenient, ""};
        DecodeOutput out;
        (void)tcp.Decode(packet, session, 1, out);
        (void)udp.Decode(packet, session, 1, out);
      }
    }
  }
}

}  // namespace
}  // namespace fleetd
