// MQTT 5 packet codec: our encoders against hand-assembled bytes from the
// specification's layouts, and hostile packets a broker (or something posing
// as one) could send.
#include "listen/mqtt/mqtt_packet.h"

#include <gtest/gtest.h>

#include "core/hex.h"

namespace fleetd::mqtt {
namespace {

std::vector<uint8_t> Hex(const std::string& hex) { return *ParseHex(hex); }
std::string HexEncode(const std::vector<uint8_t>& bytes) {
  std::string s = ToHex(bytes);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(MqttPacket, ConnectMatchesTheSpecLayout) {
  ConnectOptions o;
  o.client_id = "f1";
  o.username = "u";
  o.password = "p";
  o.keep_alive_s = 30;
  o.session_expiry_s = 3600;
  o.receive_maximum = 1000;
  std::vector<uint8_t> out;
  EncodeConnect(o, out);
  // 10 <len> 0004 "MQTT" 05 flags=C0 (user+password, clean start off) 001E
  // props: len 08: 11 00000E10, 21 03E8; "f1"; "u"; "p"
  EXPECT_EQ(HexEncode(out), "101D00044D51545405C0001E081100000E102103E800026631000175000170");
}

TEST(MqttPacket, PublishRoundTripsAtQos1) {
  std::vector<uint8_t> out;
  const std::string payload = R"({"v":1})";
  EncodePublish("fleet/abc/telemetry", std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
                1, true, 0x1234, out);
  auto framed = FramePacket(out, 1024);
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(*framed, out.size());
  auto p = DecodePublish(out);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->topic, "fleet/abc/telemetry");
  EXPECT_EQ(p->qos, 1);
  EXPECT_TRUE(p->retain);
  EXPECT_FALSE(p->dup);
  EXPECT_EQ(p->packet_id, 0x1234);
  EXPECT_EQ(std::string(p->payload.begin(), p->payload.end()), payload);
}

TEST(MqttPacket, PublishWithPropertiesSkipsThem) {
  // QoS 1, DUP, topic "a/b", id 7, properties: payload format 01 01, user
  // property ("k","v"), then payload "hi".
  auto bytes = Hex("3A13" "0003612F62" "0007" "09" "0101" "260001" "6B" "0001" "76" "6869");
  ASSERT_EQ(*FramePacket(bytes, 1024), bytes.size());
  auto p = DecodePublish(bytes);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->dup);
  EXPECT_EQ(p->packet_id, 7);
  EXPECT_EQ(std::string(p->payload.begin(), p->payload.end()), "hi");
}

TEST(MqttPacket, FramingWaitsForWholePacketsByteByByte) {
  std::vector<uint8_t> out;
  std::vector<uint8_t> big(300, 'x');
  EncodePublish("t", big, 0, false, 0, out);  // remaining length needs two varint bytes
  for (size_t n = 0; n < out.size(); ++n) {
    auto r = FramePacket(std::span<const uint8_t>(out.data(), n), 4096);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 0u) << "cut at " << n;
  }
  EXPECT_EQ(*FramePacket(out, 4096), out.size());
}

TEST(MqttPacket, OversizedAndOverlongLengthsAreErrorsNotAllocations) {
  // Remaining length 268435455 (the maximum): over our limit.
  auto huge = Hex("30FFFFFF7F");
  auto r = FramePacket(huge, 256 * 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBadLength);
  // A fifth continuation byte is not MQTT.
  auto overlong = Hex("30FFFFFFFF01");
  EXPECT_EQ(FramePacket(overlong, 1 << 30).status().code(), StatusCode::kBadLength);
}

TEST(MqttPacket, ConnackSuccessAndRefusal) {
  // session present, success, props: receive maximum 20, max packet 1048576, reason string "ok".
  auto ok = Hex("2010" "01" "00" "0D" "210014" "2700100000" "1F00026F6B");
  auto c = DecodeConnack(ok);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->session_present);
  EXPECT_EQ(c->reason, 0);
  EXPECT_EQ(c->receive_maximum, 20);
  EXPECT_EQ(c->maximum_packet_size, 1048576u);
  EXPECT_EQ(c->reason_string, "ok");
  auto refused = Hex("20020086");
  auto r = DecodeConnack(refused);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, 0x86);
  EXPECT_EQ(ReasonName(r->reason), "bad user name or password");
}

TEST(MqttPacket, HostilePacketsAreMalformed) {
  // Property length beyond the packet.
  EXPECT_EQ(DecodeConnack(Hex("2003000009")).status().code(), StatusCode::kMalformed);
  // Unknown property id 0x7F.
  EXPECT_EQ(DecodeConnack(Hex("200500" "00" "027F00")).status().code(), StatusCode::kMalformed);
  // Receive maximum 0 is a protocol error.
  EXPECT_EQ(DecodeConnack(Hex("20060000032100" "00")).status().code(), StatusCode::kMalformed);
  // Topic length beyond the packet.
  EXPECT_EQ(DecodePublish(Hex("3004" "00FF6162")).status().code(), StatusCode::kMalformed);
  // QoS 3.
  EXPECT_EQ(DecodePublish(Hex("36050001610000")).status().code(), StatusCode::kMalformed);
  // QoS 1 with packet id 0.
  EXPECT_EQ(DecodePublish(Hex("320600016100" "0000")).status().code(), StatusCode::kMalformed);
  // A topic alias we never allowed.
  EXPECT_EQ(DecodePublish(Hex("300700016103230001")).status().code(), StatusCode::kMalformed);
  // SUBACK without reason codes; truncated PUBACK.
  EXPECT_EQ(DecodeSuback(Hex("9003000100")).status().code(), StatusCode::kMalformed);
  EXPECT_EQ(DecodePuback(Hex("400100")).status().code(), StatusCode::kMalformed);
  // A packet of the wrong type.
  EXPECT_EQ(DecodeSuback(Hex("40020001")).status().code(), StatusCode::kMalformed);
}

TEST(MqttPacket, SubscribePubackPingDisconnect) {
  std::vector<uint8_t> out;
  EncodeSubscribe(9, "$share/g/fleet/+/telemetry", 1, out);
  EXPECT_EQ(HexEncode(out), "8220000900001A2473686172652F672F666C6565742F2B2F74656C656D6574727901");
  out.clear();
  EncodePuback(0xABCD, out);
  EXPECT_EQ(HexEncode(out), "4002ABCD");
  auto a = DecodePuback(out);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->packet_id, 0xABCD);
  out.clear();
  EncodePingreq(out);
  EncodeDisconnect(0, out);
  EXPECT_EQ(HexEncode(out), "C000E00100");
  auto d = DecodeDisconnect(Hex("E0028E00"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reason, 0x8E);
  auto s = DecodeSuback(Hex("9004000A0087"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reasons, std::vector<uint8_t>{0x87});
}

}  // namespace
}  // namespace fleetd::mqtt
