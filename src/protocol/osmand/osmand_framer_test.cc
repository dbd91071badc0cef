// OsmandFramer: requests split byte by byte, pipelined, bodies split across
// reads, and limits enforced before anything is buffered for them.
#include "protocol/osmand/osmand_framer.h"

#include <gtest/gtest.h>

#include "protocol/osmand/osmand_http.h"
#include "protocol/osmand/osmand_test_util.h"

namespace fleetd {
namespace {

using osmand::Bytes;
using ByteVec = std::vector<uint8_t>;

struct Fed {
  std::vector<std::string> frames;
  std::vector<StatusCode> errors;
  size_t left = 0;
};

Fed Feed(const std::string& input, size_t chunk, bool lenient = false) {
  const OsmandFramer framer(lenient);
  Fed fed;
  ByteVec buf;
  for (size_t at = 0; at < input.size(); at += chunk) {
    buf.insert(buf.end(), input.begin() + at, input.begin() + std::min(input.size(), at + chunk));
    for (;;) {
      const FrameResult r = framer.Next(buf);
      if (r.kind == FrameResult::Kind::kNeedMore) break;
      EXPECT_GE(r.consumed, 1u);
      EXPECT_LE(r.consumed, buf.size());
      if (r.kind == FrameResult::Kind::kFrame) fed.frames.emplace_back(buf.begin(), buf.begin() + r.consumed);
      if (r.kind == FrameResult::Kind::kError) fed.errors.push_back(r.error.code());
      buf.erase(buf.begin(), buf.begin() + r.consumed);
    }
    EXPECT_LE(buf.size(), framer.max_frame_size());
  }
  fed.left = buf.size();
  return fed;
}

const std::string kGet = osmand::Get("/?id=123456&lat=60.0&lon=30.0");
const std::string kPost = osmand::Post("/", R"({"device_id":"1","location":{"coords":{"latitude":1,"longitude":2}}})");

TEST(OsmandFramer, ByteByByteAndWhole) {
  for (const std::string& request : {kGet, kPost}) {
    for (size_t chunk : {size_t{1}, size_t{5}, request.size()}) {
      const Fed fed = Feed(request, chunk);
      EXPECT_EQ(fed.frames, std::vector<std::string>{request}) << chunk;
      EXPECT_TRUE(fed.errors.empty());
      EXPECT_EQ(fed.left, 0u);
    }
  }
}

TEST(OsmandFramer, PipelinedRequestsInOneRead) {
  const std::string stream = kGet + kPost + "\r\n" + kGet;  // an empty line between requests is allowed
  const Fed fed = Feed(stream, stream.size());
  ASSERT_EQ(fed.frames.size(), 3u);
  EXPECT_EQ(fed.frames[0], kGet);
  EXPECT_EQ(fed.frames[1], kPost);
  EXPECT_EQ(fed.frames[2], "\r\n" + kGet);
  EXPECT_TRUE(fed.errors.empty());
  EXPECT_EQ(Feed(stream, 3).frames, fed.frames);
}

TEST(OsmandFramer, BodySplitAcrossReadsWaits) {
  const OsmandFramer framer;
  const auto bytes = Bytes(kPost);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(framer.Next(std::span(bytes).first(n)).kind, FrameResult::Kind::kNeedMore) << n;
  }
  EXPECT_EQ(framer.Next(bytes).consumed, bytes.size());
}

TEST(OsmandFramer, OversizedHeadersAreRejected) {
  std::string big = "GET /?id=1 HTTP/1.1\r\nX-Pad: " + std::string(osmand::kMaxHeaderSize, 'a');
  const Fed fed = Feed(big, 1000);
  ASSERT_EQ(fed.errors.size(), 1u);
  EXPECT_EQ(fed.errors[0], StatusCode::kBadLength);
  EXPECT_TRUE(fed.frames.empty());
}

TEST(OsmandFramer, OversizedBodyIsRejectedFromItsLengthAlone) {
  const OsmandFramer framer;
  const auto head = Bytes("POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n");
  const FrameResult r = framer.Next(head);
  EXPECT_EQ(r.kind, FrameResult::Kind::kError);
  EXPECT_EQ(r.error.code(), StatusCode::kBadLength);
  EXPECT_EQ(r.consumed, head.size());
  const auto huge = Bytes("POST / HTTP/1.1\r\ncontent-length: 99999999999999999999999\r\n\r\n");
  EXPECT_EQ(framer.Next(huge).error.code(), StatusCode::kBadLength);
  EXPECT_EQ(framer.Next(Bytes("POST / HTTP/1.1\r\nContent-Length: 65536\r\n\r\n")).kind, FrameResult::Kind::kNeedMore);
}

TEST(OsmandFramer, BadFramingHeaders) {
  const OsmandFramer framer;
  EXPECT_EQ(framer.Next(Bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")).error.code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(framer.Next(Bytes("POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n")).error.code(), StatusCode::kMalformed);
  EXPECT_EQ(framer.Next(Bytes("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")).error.code(), StatusCode::kMalformed);
  EXPECT_EQ(framer.Next(Bytes("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")).error.code(),
            StatusCode::kMalformed);
  const FrameResult garbage = framer.Next(Bytes("\x16\x03\x01 TLS hello"));
  EXPECT_EQ(garbage.kind, FrameResult::Kind::kError);
  EXPECT_EQ(garbage.consumed, 13u);
}

TEST(OsmandFramer, BareLineFeedsOnlyWhenLenient) {
  const std::string lf = "GET /?id=1&lat=1&lon=2 HTTP/1.1\nHost: x\n\n";
  EXPECT_TRUE(Feed(lf, lf.size()).frames.empty());
  EXPECT_EQ(Feed(lf, lf.size(), /*lenient=*/true).frames, std::vector<std::string>{lf});
}

TEST(OsmandFramer, PartialInputNeedsMore) {
  const OsmandFramer framer;
  for (const std::string& s : {std::string(), std::string("\r\n"), std::string("GET / HTTP/1.1\r\n"),
                               std::string("G")}) {
    EXPECT_EQ(framer.Next(Bytes(s)).kind, FrameResult::Kind::kNeedMore) << s;
  }
}

}  // namespace
}  // namespace fleetd
