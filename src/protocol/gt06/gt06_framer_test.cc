// Gt06Framer: every real packet one byte at a time and all packets at once,
// the upstream frame-splitter cases, and hostile streams.
#include "protocol/gt06/gt06_framer.h"

#include <gtest/gtest.h>

#include "core/hex.h"
#include "protocol/gt06/gt06_encoder.h"
#include "protocol/testing/framer_feed.h"
#include "protocol/gt06/gt06_vectors.h"
#include "protocol/gt06/gt06_wire.h"

namespace fleetd {
namespace {

using Bytes = std::vector<uint8_t>;

using framer_testing::Fed;
using framer_testing::Feed;

Bytes Hex(std::string_view text) { return *ParseHex(text); }

class Gt06FramerVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = gt06::LoadGt06Vectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()); }

  // The frames a packet holds: 152 is three frames back to back.
  static std::vector<Bytes> FramesOf(const gt06::VectorCase& c) {
    if (c.id != "gt06-152") return {c.packet};
    const size_t size = c.packet.size() / 3;
    return {Bytes(c.packet.begin(), c.packet.begin() + size),
            Bytes(c.packet.begin() + size, c.packet.begin() + 2 * size),
            Bytes(c.packet.begin() + 2 * size, c.packet.end())};
  }
  // Frames that only the lenient framer cuts: the length counts the content only.
  static bool LenientOnly(const std::string& id) { return id == "gt06-039" || id == "gt06-106"; }
  // Frames that end early: a login 3 bytes short (160) and one without its final 0A (071).
  static bool Unterminated(const std::string& id) { return id == "gt06-160" || id == "gt06-071"; }

  static std::optional<gt06::VectorFile> vectors_;
};
std::optional<gt06::VectorFile> Gt06FramerVectors::vectors_;

TEST_F(Gt06FramerVectors, EachPacketByteByByteAndWhole) {
  const Gt06Framer strict;
  const Gt06Framer lenient(true);
  for (const auto& c : vectors_->cases) {
    for (size_t chunk : {size_t{1}, c.packet.size()}) {
      const Fed s = Feed(strict, c.packet, chunk);
      const Fed l = Feed(lenient, c.packet, chunk);
      if (Unterminated(c.id)) {
        EXPECT_TRUE(s.frames.empty() && l.frames.empty()) << c.id;
        EXPECT_EQ(l.left, c.packet.size()) << c.id << ": waits for the rest";
      } else if (LenientOnly(c.id)) {
        EXPECT_TRUE(s.frames.empty()) << c.id;
        EXPECT_GE(s.errors, 1) << c.id;
        EXPECT_EQ(l.frames, std::vector<Bytes>{c.packet}) << c.id;
      } else {
        EXPECT_EQ(s.frames, FramesOf(c)) << c.id << " chunk " << chunk;
        EXPECT_EQ(l.frames, FramesOf(c)) << c.id << " chunk " << chunk;
        EXPECT_EQ(s.errors, 0) << c.id;
      }
    }
  }
}

TEST_F(Gt06FramerVectors, AllPacketsConcatenated) {
  Bytes stream;
  std::vector<Bytes> want_strict;
  std::vector<Bytes> want_lenient;
  for (const auto& c : vectors_->cases) {
    if (c.id == "gt06-071") continue;  // without its 0A it runs into the next frame (see the doc)
    stream.insert(stream.end(), c.packet.begin(), c.packet.end());
    for (const Bytes& f : FramesOf(c)) {
      want_lenient.push_back(f);
      if (!LenientOnly(c.id) && !Unterminated(c.id)) want_strict.push_back(f);
    }
  }
  for (size_t chunk : {size_t{1}, size_t{7}, stream.size()}) {
    EXPECT_EQ(Feed(Gt06Framer(), stream, chunk).frames, want_strict) << "chunk " << chunk;
    EXPECT_EQ(Feed(Gt06Framer(true), stream, chunk).frames, want_lenient) << "chunk " << chunk;
  }
}

TEST_F(Gt06FramerVectors, UpstreamFrameCases) {
  const Bytes next = gt06::EncodeHeartbeat(true, 6, 4, 1);
  for (const auto& f : vectors_->frames) {
    // frame-002 is a login 3 bytes shorter than its length: upstream cuts at the
    // first 0D0A at once; we wait for the declared length, so the lenient
    // framer needs the next frame to see where this one ended.
    const bool short_login = f.id == "gt06-frame-002";
    Bytes input = f.input;
    if (short_login) input.insert(input.end(), next.begin(), next.end());
    for (size_t chunk : {size_t{1}, input.size()}) {
      const Fed l = Feed(Gt06Framer(true), input, chunk);
      ASSERT_FALSE(l.frames.empty()) << f.id;
      EXPECT_EQ(l.frames.front(), f.expected_frame) << f.id;
      const Fed s = Feed(Gt06Framer(), input, chunk);
      // Lenient only: 004 has a length counting the content only, 006 one 2 short.
      if (f.id == "gt06-frame-004" || f.id == "gt06-frame-006" || short_login) {
        EXPECT_TRUE(s.frames.empty() || s.frames.front() != f.expected_frame) << f.id;
        continue;
      }
      ASSERT_FALSE(s.frames.empty()) << f.id;
      EXPECT_EQ(s.frames.front(), f.expected_frame) << f.id;
    }
  }
}

TEST(Gt06Framer, GarbageIsSkippedUpToTheNextMarker) {
  const Bytes frame = gt06::EncodeHeartbeat(true, 6, 4, 1);
  Bytes stream = {'h', 'e', 'l', 'l', 'o', 0x78, 0x00, 0x79};
  stream.insert(stream.end(), frame.begin(), frame.end());
  for (size_t chunk : {size_t{1}, stream.size()}) {
    const Fed fed = Feed(Gt06Framer(), stream, chunk);
    EXPECT_EQ(fed.frames, std::vector<Bytes>{frame});
    EXPECT_GE(fed.errors, 1);
    EXPECT_EQ(fed.left, 0u);
  }
}

TEST(Gt06Framer, LengthBeyondTheMaximumIsAnError) {
  const Gt06Framer framer;
  const Bytes huge = Hex("7979ea60940000");
  const FrameResult r = framer.Next(huge);
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_GE(r.consumed, 1u);
  EXPECT_EQ(framer.max_frame_size(), gt06::kMaxFrameSize);
}

TEST(Gt06Framer, PartialHeaderNeedsMore) {
  const Gt06Framer framer;
  for (const Bytes& b : {Bytes{}, Bytes{0x78}, Bytes{0x78, 0x78}, Bytes{0x78, 0x78, 0x0d}, Bytes{0x79, 0x79, 0x00}}) {
    const FrameResult r = framer.Next(b);
    EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore);
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(Gt06Framer, WrongTrailerIsAnErrorWhenStrict) {
  Bytes frame = gt06::EncodeHeartbeat(true, 6, 4, 1);
  frame.back() = 0x00;
  const FrameResult r = Gt06Framer().Next(frame);
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.consumed, frame.size());
}

}  // namespace
}  // namespace fleetd
