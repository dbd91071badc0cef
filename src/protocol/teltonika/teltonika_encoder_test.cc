// Teltonika encoder: packets decode back to what was encoded, CRCs match the
// published example, UDP datagrams carry their header.
#include "protocol/teltonika/teltonika_encoder.h"

#include <gtest/gtest.h>

#include "core/crc.h"
#include "core/hex.h"
#include "core/time_util.h"
#include "protocol/teltonika/teltonika_decoder.h"
#include "protocol/teltonika/teltonika_framer.h"

namespace fleetd {
namespace {

TEST(TeltonikaEncoder, ImeiHandshake) {
  EXPECT_EQ(ToHex(teltonika::EncodeImei("356307042441013")), "000f333536333037303432343431303133");
}

TEST(TeltonikaEncoder, Codec12CommandMatchesTheDocumentedGetinfo) {
  // Teltonika's codec 12 example: the "getinfo" command with CRC 0x4312.
  EXPECT_EQ(ToHex(teltonika::EncodeCodec12Command("getinfo")),
            "000000000000000f0c010500000007676574696e666f0100004312");
}

TEST(TeltonikaEncoder, Codec8RoundTrip) {
  std::vector<teltonika::AvlRecord> records(3);
  for (size_t i = 0; i < records.size(); ++i) {
    auto& r = records[i];
    r.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, static_cast<int>(i));
    r.lat = -33.8688 + static_cast<double>(i) * 0.001;
    r.lng = 151.2093;
    r.altitude_m = -5;
    r.angle = 359;
    r.satellites = 12;
    r.speed_kmh = 88;
    r.io1 = {{239, 0}};
    r.io8 = {{250, 0xFFFFFFFFFFFFFFFFULL}};
  }
  const auto packet = teltonika::EncodeCodec8(records);
  const FrameResult frame = TeltonikaFramer().Next(packet);
  ASSERT_EQ(frame.kind, FrameResult::Kind::kFrame);
  EXPECT_EQ(frame.consumed, packet.size());

  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, ""};
  DecodeOutput out;
  ASSERT_TRUE(decoder.Decode(packet, session, 1, out).ok());
  ASSERT_EQ(out.messages.size(), 3u);
  for (size_t i = 0; i < records.size(); ++i) {
    const Message& m = out.messages[i];
    EXPECT_EQ(m.ts, records[i].time_ms);
    EXPECT_NEAR(*m.lat, records[i].lat, 1e-7);
    EXPECT_NEAR(*m.lng, 151.2093, 1e-7);
    EXPECT_EQ(m.altitude_m, -5);
    EXPECT_EQ(m.heading, 359);
    EXPECT_EQ(m.speed_kmh, 88);
    EXPECT_EQ(m.ignition, false);
    EXPECT_EQ(std::get<int64_t>(m.attributes.at("io250")), -1);  // 8-byte raw kept bit for bit
  }
  EXPECT_EQ(out.reply, (std::vector<uint8_t>{0, 0, 0, 3}));
}

TEST(TeltonikaEncoder, UdpHeader) {
  teltonika::AvlRecord r;
  r.time_ms = 1;
  const auto datagram = teltonika::EncodeCodec8Udp(0xCAFE, 0x22, "357454072713975", {r});
  EXPECT_EQ(ToHex(std::span(datagram).first(8)), "00" + ToHex(std::vector<uint8_t>{static_cast<uint8_t>(datagram.size() - 2)}) + "cafe0122000f");
}

}  // namespace
}  // namespace fleetd
