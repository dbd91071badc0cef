// TeltonikaFramer: every real packet one byte at a time and whole, all
// packets back to back, the upstream frame-splitter cases, and hostile streams.
#include "protocol/teltonika/teltonika_framer.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "core/hex.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "protocol/testing/framer_feed.h"
#include "protocol/teltonika/teltonika_vectors.h"
#include "protocol/teltonika/teltonika_wire.h"

namespace fleetd {
namespace {

using Bytes = std::vector<uint8_t>;

using framer_testing::Fed;
using framer_testing::Feed;

Bytes Hex(std::string_view text) { return *ParseHex(text); }

// Length 0 (029) and a length 133 bytes too long (041): only the lenient framer cuts them.
bool LenientOnly(const std::string& id) { return id == "teltonika-029" || id == "teltonika-041"; }
// CRC field 2 (034) or 1 (037) bytes short: both framers wait for the rest.
bool ShortCrc(const std::string& id) { return id == "teltonika-034" || id == "teltonika-037"; }

class TeltonikaFramerVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = teltonika::LoadTeltonikaVectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()); }
  static std::optional<teltonika::VectorFile> vectors_;
};
std::optional<teltonika::VectorFile> TeltonikaFramerVectors::vectors_;

TEST_F(TeltonikaFramerVectors, EachPacketByteByByteAndWhole) {
  const TeltonikaFramer strict;
  const TeltonikaFramer lenient(true);
  int checked = 0;
  for (const auto& c : vectors_->cases) {
    if (c.framing != "tcp") continue;  // one datagram is one frame: no framer
    ++checked;
    for (size_t chunk : {size_t{1}, c.packet.size()}) {
      const Fed s = Feed(strict, c.packet, chunk);
      const Fed l = Feed(lenient, c.packet, chunk);
      if (ShortCrc(c.id)) {
        EXPECT_TRUE(s.frames.empty() && l.frames.empty()) << c.id;
        EXPECT_EQ(l.left, c.packet.size()) << c.id << ": waits for the rest";
      } else if (LenientOnly(c.id)) {
        // Strict resynchronises on later zero bytes and may cut garbage (which
        // the decoder rejects), but never this packet.
        EXPECT_TRUE(std::find(s.frames.begin(), s.frames.end(), c.packet) == s.frames.end()) << c.id;
        if (c.id == "teltonika-029") {
          EXPECT_GE(s.errors, 1) << c.id;  // length 0
        } else {
          EXPECT_EQ(s.left, c.packet.size()) << c.id;  // 041 waits for 133 more bytes
        }
        EXPECT_EQ(l.frames, std::vector<Bytes>{c.packet}) << c.id << " chunk " << chunk;
      } else {
        EXPECT_EQ(s.frames, std::vector<Bytes>{c.packet}) << c.id << " chunk " << chunk;
        EXPECT_EQ(l.frames, std::vector<Bytes>{c.packet}) << c.id << " chunk " << chunk;
        EXPECT_EQ(s.errors + l.errors, 0) << c.id;
      }
    }
  }
  EXPECT_EQ(checked, 51);
}

TEST_F(TeltonikaFramerVectors, AllPacketsConcatenated) {
  Bytes strict_stream, lenient_stream;
  std::vector<Bytes> want_strict, want_lenient;
  for (const auto& c : vectors_->cases) {
    if (c.framing != "tcp" || ShortCrc(c.id)) continue;  // a short CRC runs into the next packet
    lenient_stream.insert(lenient_stream.end(), c.packet.begin(), c.packet.end());
    want_lenient.push_back(c.packet);
    if (LenientOnly(c.id)) continue;
    strict_stream.insert(strict_stream.end(), c.packet.begin(), c.packet.end());
    want_strict.push_back(c.packet);
  }
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1000}, lenient_stream.size()}) {
    const Fed s = Feed(TeltonikaFramer(), strict_stream, chunk);
    EXPECT_EQ(s.frames, want_strict) << "chunk " << chunk;
    EXPECT_EQ(s.errors, 0);
    const Fed l = Feed(TeltonikaFramer(true), lenient_stream, chunk);
    EXPECT_EQ(l.frames, want_lenient) << "chunk " << chunk;
    EXPECT_EQ(l.left, 0u);
  }
}

TEST_F(TeltonikaFramerVectors, UpstreamFrameCases) {
  ASSERT_EQ(vectors_->frames.size(), 2u);
  for (const auto& f : vectors_->frames) {
    for (bool lenient : {false, true}) {
      for (size_t chunk : {size_t{1}, f.input.size()}) {
        const Fed fed = Feed(TeltonikaFramer(lenient), f.input, chunk);
        ASSERT_FALSE(fed.frames.empty()) << f.id;
        EXPECT_EQ(fed.frames.front(), f.expected_frame) << f.id;
        EXPECT_EQ(fed.errors, 0) << f.id;
      }
    }
  }
}

TEST(TeltonikaFramer, GarbageIsSkippedUpToTheNextCandidate) {
  const Bytes imei = teltonika::EncodeImei("356307042441013");
  teltonika::AvlRecord record;
  record.time_ms = 1779359400000;
  record.satellites = 7;
  const Bytes packet = teltonika::EncodeCodec8({record});
  Bytes stream = {'h', 'e', 'l', 'l', 'o', 0x00, 0x41};
  stream.insert(stream.end(), imei.begin(), imei.end());
  stream.insert(stream.end(), packet.begin(), packet.end());
  for (bool lenient : {false, true}) {
    for (size_t chunk : {size_t{1}, stream.size()}) {
      const Fed fed = Feed(TeltonikaFramer(lenient), stream, chunk);
      EXPECT_EQ(fed.frames, (std::vector<Bytes>{imei, packet}));
      EXPECT_GE(fed.errors, 1);
      EXPECT_EQ(fed.left, 0u);
    }
  }
}

TEST(TeltonikaFramer, HugeLengthIsAnErrorWithoutWaiting) {
  const TeltonikaFramer framer;
  for (const Bytes& b : {Hex("00000000ffffffff08"), Hex("0000000000004001")}) {
    const FrameResult r = framer.Next(b);
    EXPECT_EQ(r.kind, FrameResult::Kind::kError);
    EXPECT_EQ(r.error.code(), StatusCode::kBadLength);
    EXPECT_GE(r.consumed, 1u);
  }
  EXPECT_EQ(framer.max_frame_size(), teltonika::kMaxFrameSize);
  // A lenient framer given a count it can never satisfy stops at the limit.
  Bytes endless = Hex("00000000000000000c0106ffffffff");  // a command record of 4 GiB
  endless.resize(teltonika::kMaxFrameSize, 0x00);
  EXPECT_EQ(TeltonikaFramer(true).Next(endless).kind, FrameResult::Kind::kError);
}

TEST(TeltonikaFramer, PartialInputNeedsMore) {
  const TeltonikaFramer framer;
  for (const Bytes& b : {Bytes{}, Bytes{0x00}, Bytes{0x00, 0x00, 0x00}, Hex("00000000000000"), Hex("000f3335"),
                         Hex("000000000000002c0801")}) {
    const FrameResult r = framer.Next(b);
    EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore) << ToHex(b);
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(TeltonikaFramer, BadHandshakesAreErrors) {
  const TeltonikaFramer framer;
  for (const Bytes& b : {Hex("000f33353641"), Hex("0015"), Hex("4142"), Hex("00000001")}) {
    EXPECT_EQ(framer.Next(b).kind, FrameResult::Kind::kError) << ToHex(b);
  }
}

}  // namespace
}  // namespace fleetd
