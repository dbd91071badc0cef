// Ais140Framer: every real sentence one byte at a time and all at once, the
// upstream frame-splitter cases, and hostile streams.
#include "protocol/ais140/ais140_framer.h"

#include <gtest/gtest.h>

#include "protocol/ais140/ais140_encoder.h"
#include "protocol/ais140/ais140_vectors.h"
#include "protocol/ais140/ais140_wire.h"

namespace fleetd {
namespace {

using Bytes = std::vector<uint8_t>;

struct Fed {
  std::vector<Bytes> frames;
  int errors = 0;
  size_t left = 0;  // bytes still buffered at the end
};

// Feeds `input` in chunks of `chunk` bytes, as a listener would.
Fed Feed(const Bytes& input, size_t chunk) {
  const Ais140Framer framer;
  Fed fed;
  Bytes buf;
  for (size_t at = 0; at < input.size(); at += chunk) {
    buf.insert(buf.end(), input.begin() + at, input.begin() + std::min(input.size(), at + chunk));
    for (;;) {
      const FrameResult r = framer.Next(buf);
      if (r.kind == FrameResult::Kind::kNeedMore) break;
      EXPECT_GE(r.consumed, 1u);
      EXPECT_LE(r.consumed, buf.size());
      if (r.kind == FrameResult::Kind::kFrame) fed.frames.emplace_back(buf.begin(), buf.begin() + r.consumed);
      if (r.kind == FrameResult::Kind::kError) ++fed.errors;
      buf.erase(buf.begin(), buf.begin() + r.consumed);
    }
    EXPECT_LE(buf.size(), framer.max_frame_size());
  }
  fed.left = buf.size();
  return fed;
}

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// The sentence proper: `$` up to, not including, `*` or the line end.
std::string SentenceText(const Bytes& frame) {
  ais140::Sentence s;
  EXPECT_TRUE(ais140::ParseSentence(frame, s).ok());
  return std::string(s.text);
}

// The vectors' decoder inputs lack a terminator when upstream's framer had
// cut it off; a stream needs one, so those get the line end devices send.
Bytes AsStream(const Bytes& packet) {
  Bytes s = packet;
  if (std::find(s.begin(), s.end(), '*') == s.end()) s.insert(s.end(), {'\r', '\n'});
  return s;
}

bool HasHexTrailer(const Bytes& packet) {
  const auto star = std::find(packet.begin(), packet.end(), '*');
  return star != packet.end() && star + 1 != packet.end() && std::isxdigit(*(star + 1));
}

class Ais140FramerVectors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = ais140::LoadAis140Vectors(); }
  void SetUp() override { ASSERT_TRUE(vectors_.has_value()); }
  static std::optional<ais140::VectorFile> vectors_;
};
std::optional<ais140::VectorFile> Ais140FramerVectors::vectors_;

TEST_F(Ais140FramerVectors, EachSentenceWholeAndByteByByte) {
  for (const auto& c : vectors_->cases) {
    const Bytes stream = AsStream(c.packet);
    const Fed whole = Feed(stream, stream.size());
    ASSERT_EQ(whole.frames.size(), 1u) << c.id;
    EXPECT_EQ(whole.left, 0u) << c.id;
    if (c.id == "ais140-004") {  // "*,IP=106.67.5.173": text after the `*` that is no checksum
      EXPECT_EQ(whole.errors, 1) << c.id;
    } else {
      EXPECT_EQ(whole.frames[0], stream) << c.id;
      EXPECT_EQ(whole.errors, 0) << c.id;
    }
    // One byte at a time: the same sentence. A checksum after `*` arrives
    // after the frame was cut and is dropped as garbage (documented limit).
    const Fed bytewise = Feed(stream, 1);
    ASSERT_EQ(bytewise.frames.size(), 1u) << c.id;
    EXPECT_EQ(SentenceText(bytewise.frames[0]), SentenceText(whole.frames[0])) << c.id;
    EXPECT_EQ(bytewise.errors > 0, HasHexTrailer(c.packet) || c.id == "ais140-004") << c.id;
  }
}

TEST_F(Ais140FramerVectors, AllSentencesConcatenated) {
  Bytes stream;
  std::vector<std::string> want;
  for (const auto& c : vectors_->cases) {
    const Bytes s = AsStream(c.packet);
    stream.insert(stream.end(), s.begin(), s.end());
    want.push_back(SentenceText(s));
  }
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, stream.size()}) {
    const Fed fed = Feed(stream, chunk);
    std::vector<std::string> got;
    for (const Bytes& f : fed.frames) got.push_back(SentenceText(f));
    EXPECT_EQ(got, want) << "chunk " << chunk;
  }
}

// Upstream's splitter removes the terminator; fleetd's frame keeps it for the
// decoder (the checksum is in it). Compared after removing what upstream cuts:
// a line end, a final `*`, and a raw checksum byte (non-alphanumeric) after the last comma.
Bytes UpstreamCut(Bytes f) {
  while (!f.empty() && ais140::IsLineEnd(f.back())) f.pop_back();
  if (!f.empty() && f.back() == '*') {
    f.pop_back();
    if (f.size() >= 2 && f[f.size() - 2] == ',' && !std::isalnum(f.back())) f.pop_back();
  }
  return f;
}

TEST_F(Ais140FramerVectors, UpstreamFrameCases) {
  ASSERT_EQ(vectors_->frames.size(), 6u);
  for (const auto& f : vectors_->frames) {
    for (size_t chunk : {f.input.size(), size_t{1}}) {
      const Fed fed = Feed(f.input, chunk);
      ASSERT_FALSE(fed.frames.empty()) << f.id;
      if (chunk == 1 && f.id == "ais140-frame-002") {  // "*5E" split from its `*`
        EXPECT_EQ(SentenceText(fed.frames.front()), SentenceText(f.expected_frame));
        continue;
      }
      EXPECT_EQ(UpstreamCut(fed.frames.front()), f.expected_frame) << f.id << " chunk " << chunk;
    }
  }
}

TEST(Ais140Framer, TerminatorsAndLineEnds) {
  // `*XX` then CRLF, bare `*`, a line end only, and the next `$`.
  const Bytes stream = Text("$A,1*5E\r\n$B,2*\r\n$C,3\n$D,4$E,5*");
  const Fed fed = Feed(stream, stream.size());
  ASSERT_EQ(fed.frames.size(), 5u);
  EXPECT_EQ(fed.frames[0], Text("$A,1*5E\r\n"));
  EXPECT_EQ(fed.frames[1], Text("$B,2*\r\n"));
  EXPECT_EQ(fed.frames[2], Text("$C,3\n"));
  EXPECT_EQ(fed.frames[3], Text("$D,4"));
  EXPECT_EQ(fed.frames[4], Text("$E,5*"));
  EXPECT_EQ(fed.errors, 0);
}

TEST(Ais140Framer, LineEndsArrivingLateJoinTheNextSentence) {
  const Fed fed = [] {
    const Ais140Framer framer;
    Fed out;
    for (const Bytes& buf : {Text("\r\n"), Text("\r\n$A,1*")}) {
      const FrameResult r = framer.Next(buf);
      if (r.kind == FrameResult::Kind::kFrame) out.frames.emplace_back(buf.begin(), buf.begin() + r.consumed);
      if (r.kind == FrameResult::Kind::kError) ++out.errors;
    }
    return out;
  }();
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0], Text("\r\n$A,1*"));
  EXPECT_EQ(fed.errors, 0);
}

TEST(Ais140Framer, GarbageIsSkippedUpToTheNextDollar) {
  const Bytes frame = ais140::EncodeNrm({});
  Bytes stream = {'h', 'e', 'l', 'l', 'o', 0x00, 0xff, '*', '\r', 'x'};
  stream.insert(stream.end(), frame.begin(), frame.end());
  const Fed whole = Feed(stream, stream.size());
  EXPECT_EQ(whole.frames, std::vector<Bytes>{frame});
  EXPECT_EQ(whole.errors, 1);
  EXPECT_EQ(whole.left, 0u);
  // One byte at a time the final CRLF arrives after the `*` cut and waits
  // for the next sentence.
  const Fed bytewise = Feed(stream, 1);
  ASSERT_EQ(bytewise.frames.size(), 1u);
  EXPECT_EQ(SentenceText(bytewise.frames[0]), SentenceText(frame));
  EXPECT_GE(bytewise.errors, 1);
  EXPECT_EQ(bytewise.left, 2u);
}

TEST(Ais140Framer, UnterminatedSentenceBeyondTheMaximumIsAnError) {
  const Ais140Framer framer;
  Bytes huge = Text("$NRM");
  huge.resize(ais140::kMaxFrameSize + 10, ',');
  const FrameResult r = framer.Next(huge);
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.consumed, huge.size());
  // Just below the maximum: still waiting.
  huge.resize(ais140::kMaxFrameSize - 1);
  EXPECT_EQ(framer.Next(huge).kind, FrameResult::Kind::kNeedMore);
  // A huge stream of garbage is dropped whole.
  const Bytes junk(100000, 'x');
  EXPECT_EQ(framer.Next(junk).consumed, junk.size());
}

TEST(Ais140Framer, PartialSentencesNeedMore) {
  const Ais140Framer framer;
  for (const Bytes& b : {Bytes{}, Text("$"), Text("$NRM,ROADRPA"), Text("\r\n"), Text("\r\n$NRM")}) {
    const FrameResult r = framer.Next(b);
    EXPECT_EQ(r.kind, FrameResult::Kind::kNeedMore);
    EXPECT_EQ(r.consumed, 0u);
  }
}

}  // namespace
}  // namespace fleetd
