// H02Framer: every real packet one byte at a time and all packets at once,
// the upstream frame-splitter cases, and hostile streams.
#include "protocol/h02/h02_framer.h"

#include <array>

#include <gtest/gtest.h>

#include "core/time_util.h"
#include "protocol/h02/h02_encoder.h"
#include "protocol/testing/framer_feed.h"
#include "protocol/h02/h02_vectors.h"
#include "protocol/h02/h02_wire.h"

namespace fleetd {
namespace {

using ByteVec = std::vector<uint8_t>;

using framer_testing::Fed;
using framer_testing::Feed;

ByteVec Text(std::string_view s) { return {s.begin(), s.end()}; }

// Line breaks belong to no frame: the framer keeps them in front of the next.
// (Binary frames may end in 0x0A as data.)
ByteVec StripLineBreaks(ByteVec v) {
  size_t lead = 0;
  while (lead < v.size() && h02::IsLineBreak(v[lead])) ++lead;
  v.erase(v.begin(), v.begin() + static_cast<ptrdiff_t>(lead));
  while (!v.empty() && v.front() == '*' && h02::IsLineBreak(v.back())) v.pop_back();
  return v;
}

// Binary frames longer than 32 bytes with the short id: fed one byte at a
// time they are cut at byte 32, because a stream that ends there is a whole
// 32-byte frame (see h02_framer.h). The list must not grow.
constexpr std::array<std::string_view, 9> kCutAt32WhenSplitThere = {
    "h02-007", "h02-010", "h02-023", "h02-030", "h02-078", "h02-082", "h02-084", "h02-085", "h02-088"};

bool CutAt32(const std::string& id) {
  return std::find(kCutAt32WhenSplitThere.begin(), kCutAt32WhenSplitThere.end(), id) != kCutAt32WhenSplitThere.end();
}

class H02FramerVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = h02::LoadH02Vectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()); }
  static std::optional<h02::VectorFile> vectors_;
  const H02Framer framer_;
};
std::optional<h02::VectorFile> H02FramerVectors::vectors_;

TEST_F(H02FramerVectors, EveryPacketWholeIsOneFrame) {
  for (const auto& c : vectors_->cases) {
    const Fed fed = Feed(framer_, c.packet, c.packet.size());
    ASSERT_EQ(fed.frames.size(), 1u) << c.id;
    EXPECT_EQ(fed.frames[0], StripLineBreaks(c.packet)) << c.id;
    EXPECT_EQ(fed.errors, 0) << c.id;
  }
}

TEST_F(H02FramerVectors, EveryPacketOneByteAtATime) {
  int cut = 0;
  for (const auto& c : vectors_->cases) {
    const Fed fed = Feed(framer_, c.packet, 1);
    ASSERT_GE(fed.frames.size(), 1u) << c.id;
    if (CutAt32(c.id)) {
      ASSERT_GT(c.packet.size(), 32u) << c.id << ": no longer a long frame";
      EXPECT_EQ(fed.frames[0], ByteVec(c.packet.begin(), c.packet.begin() + 32)) << c.id;
      EXPECT_GE(fed.errors, 1) << c.id << ": the tail is garbage";
      ++cut;
      continue;
    }
    EXPECT_EQ(fed.frames.size(), 1u) << c.id;
    EXPECT_EQ(fed.frames[0], StripLineBreaks(c.packet)) << c.id;
    EXPECT_EQ(fed.errors, 0) << c.id;
  }
  EXPECT_EQ(cut, static_cast<int>(kCutAt32WhenSplitThere.size()));
}

TEST_F(H02FramerVectors, AllPacketsConcatenated) {
  ByteVec stream;
  for (const auto& c : vectors_->cases) stream.insert(stream.end(), c.packet.begin(), c.packet.end());
  const Fed fed = Feed(framer_, stream, stream.size());
  ASSERT_EQ(fed.frames.size(), vectors_->cases.size());
  for (size_t i = 0; i < fed.frames.size(); ++i) {
    EXPECT_EQ(StripLineBreaks(fed.frames[i]), StripLineBreaks(vectors_->cases[i].packet)) << vectors_->cases[i].id;
  }
  EXPECT_EQ(fed.errors, 0);
  EXPECT_EQ(fed.left, 0u);
}

TEST_F(H02FramerVectors, UpstreamFrameCases) {
  for (const auto& f : vectors_->frames) {
    const Fed fed = Feed(framer_, f.input, f.input.size());
    ASSERT_GE(fed.frames.size(), 1u) << f.id;
    EXPECT_EQ(fed.frames[0], f.expected_frame) << f.id;
    EXPECT_EQ(fed.errors, 0) << f.id;
  }
}

// ---- hostile streams ----

const std::string_view kV1 = "*HQ,2705171109,V1,213324,A,5002.5849,N,01433.7822,E,0.00,000,140613,FFFFFFFF#";

ByteVec Binary() {
  h02::PositionFix fix;
  fix.time_ms = *MakeTimestamp(2026, 5, 21, 10, 30, 0);
  fix.lat = 52.5;
  fix.lng = 13.4;
  return h02::EncodeBinary("4106000826", fix, 80);
}

ByteVec Join(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(H02Framer, GarbageBetweenFramesIsSkippedAndCounted) {
  const H02Framer framer;
  const ByteVec stream = Join({Text("junk"), Text(kV1), Text("\x01\x02 more junk"), Binary(), Text("zz"), Text(kV1)});
  for (size_t chunk : {size_t{1}, stream.size()}) {
    const Fed fed = Feed(framer, stream, chunk);
    ASSERT_EQ(fed.frames.size(), 3u) << chunk;
    EXPECT_EQ(fed.frames[0], Text(kV1));
    EXPECT_EQ(fed.frames[1], Binary());
    EXPECT_EQ(fed.frames[2], Text(kV1));
    EXPECT_GE(fed.errors, 3);
  }
}

TEST(H02Framer, LineBreaksAfterFramesAreNotErrors) {
  const H02Framer framer;
  const ByteVec stream = Join({Text(kV1), Text("\r\n"), Text(kV1), Text("\n")});
  const Fed fed = Feed(framer, stream, 1);
  EXPECT_EQ(fed.frames.size(), 2u);
  EXPECT_EQ(fed.errors, 0);
  EXPECT_EQ(fed.left, 1u);  // the last "\n" waits for the next frame
  EXPECT_EQ(Feed(framer, Text("\r\n\r\n\r\n"), 1).errors, 1);
}

TEST(H02Framer, OverlongAsciiIsDroppedAtTheLimit) {
  const H02Framer framer;
  ByteVec stream = Text("*HQ,1,V1,");
  stream.resize(3000, 'A');
  stream = Join({stream, Text(kV1)});
  const Fed fed = Feed(framer, stream, 100);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0], Text(kV1));
  EXPECT_GE(fed.errors, 1);
}

TEST(H02Framer, TruncatedAsciiBeforeTheNextMessage) {
  const H02Framer framer;
  const ByteVec stream = Join({Text(kV1.substr(0, 40)), Text(kV1)});
  const Fed fed = Feed(framer, stream, 1);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0], Text(kV1));
  EXPECT_EQ(fed.errors, 1);
}

TEST(H02Framer, BinaryCutShort) {
  const H02Framer framer;
  const ByteVec binary = Binary();
  // Cut short and followed by an ASCII frame: `*` is no BCD digit.
  const Fed fed = Feed(framer, Join({ByteVec(binary.begin(), binary.begin() + 20), Text(kV1)}), 1);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0], Text(kV1));
  EXPECT_EQ(fed.errors, 1);
  // Cut short at the end of the stream: never a frame, only waiting.
  for (size_t n = 1; n < binary.size(); ++n) {
    EXPECT_EQ(framer.Next(std::span(binary).first(n)).kind, FrameResult::Kind::kNeedMore) << n;
  }
}

TEST(H02Framer, DollarNotFollowedByTheLayoutIsGarbage) {
  const H02Framer framer;
  const Fed fed = Feed(framer, Join({Text("$99999999999999"), Text(kV1)}), 1);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_GE(fed.errors, 1);
}

TEST(H02Framer, LongBinaryFollowedByGarbageKeepsTheBaseFrame) {
  const H02Framer framer;
  ByteVec stream = Binary();
  stream.resize(60, 0x11);  // not a marker at 32, 45 or 48
  const FrameResult r = framer.Next(stream);
  EXPECT_EQ(r.kind, FrameResult::Kind::kFrame);
  EXPECT_EQ(r.consumed, 32u);
}

}  // namespace
}  // namespace fleetd
