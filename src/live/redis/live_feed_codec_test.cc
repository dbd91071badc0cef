// The live batch payload: the v2 round trip, v1 payloads of older nodes,
// origin recognition, splitting at the list limit, hostile payloads.
#include "live/redis/live_feed_codec.h"

#include <gtest/gtest.h>

#include <limits>

#include "contract/live_envelope.h"
#include "core/envelope_codec.h"

namespace fleetd {
namespace {

using contract::LiveEnvelope;

constexpr std::string_view kHeader = "fleetd-live v2 origin-1\n";

// What a v1 node (before the binary feed) published for one GT06 fix.
constexpr std::string_view kV1Payload =
    "fleetd-live v1 old-node\n"
    R"([[3,77,{"device_uid":"359710040000001","protocol":"gt06","kind":"position",)"
    R"("ts":"2026-05-21T10:30:00Z","received_at":"2026-05-21T10:30:01.204Z","valid":true,)"
    R"("lat":23.8103,"lng":90.4125,"speed_kmh":45,"heading":180,"satellites":9,)"
    R"("attributes":{"serial":42}}]])";

TEST(LiveFeedCodecTest, RoundTripsV2Exactly) {
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1000, 52.5, 13.4),
                                 LiveEnvelope(2, "B", std::nullopt, std::nullopt, std::nullopt)};
  batch[0].device_id = -5;
  batch[1].tenant_id = INT64_MAX;
  // What JSON (v1) could not carry: invalid UTF-8, a non-finite number.
  batch[0].message.attributes.Set("text", std::string("bad \xff utf-8"));
  batch[0].message.attributes.Set("x", std::numeric_limits<double>::infinity());
  LiveFeedPayloads feed = EncodeLiveBatch("origin-1", batch);
  EXPECT_EQ(feed.left_out, 0u);
  ASSERT_EQ(feed.payloads.size(), 1u);
  const std::string& payload = feed.payloads[0];
  ASSERT_TRUE(payload.starts_with(kHeader)) << payload;
  EXPECT_EQ(static_cast<uint8_t>(payload[kHeader.size()]), kEnvelopeListVersion);
  EXPECT_EQ(LiveBatchOrigin(payload), "origin-1");
  auto back = DecodeLiveBatch(payload);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*back)[i].tenant_id, batch[i].tenant_id) << i;
    EXPECT_EQ((*back)[i].device_id, batch[i].device_id) << i;
    EXPECT_EQ((*back)[i].message, batch[i].message) << i;
  }

  // One envelope: the single form.
  feed = EncodeLiveBatch("origin-1", std::span<const Envelope>(batch).first(1));
  ASSERT_EQ(feed.payloads.size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(feed.payloads[0][kHeader.size()]), kEnvelopeVersion);
  back = DecodeLiveBatch(feed.payloads[0]);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].message, batch[0].message);

  EXPECT_TRUE(EncodeLiveBatch("o", {}).payloads.empty()) << "nothing to publish";
}

TEST(LiveFeedCodecTest, ReadsV1PayloadsOfOlderNodes) {
  EXPECT_EQ(LiveBatchOrigin(kV1Payload), "old-node");
  auto back = DecodeLiveBatch(kV1Payload);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 1u);
  const Envelope& e = (*back)[0];
  EXPECT_EQ(e.tenant_id, 3);
  EXPECT_EQ(e.device_id, 77);
  EXPECT_EQ(e.message.device_uid, "359710040000001");
  EXPECT_EQ(e.message.ts, 1779359400000);
  EXPECT_EQ(e.message.lat, 23.8103);
  EXPECT_EQ(e.message.speed_kmh, 45);
  EXPECT_EQ(std::get<int64_t>(e.message.attributes.at("serial")), 42);
  auto empty = DecodeLiveBatch("fleetd-live v1 o\n[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// A list holds at most 65535 envelopes: 2 x 65535 + 1 travel as three
// payloads, in order, the last in the single form.
TEST(LiveFeedCodecTest, SplitsBatchesBeyondTheListLimit) {
  const size_t n = 2 * kMaxEnvelopesPerList + 1;
  std::vector<Envelope> batch(n);
  for (size_t i = 0; i < n; ++i) batch[i].device_id = static_cast<int64_t>(i);
  const LiveFeedPayloads feed = EncodeLiveBatch("origin-1", batch);
  ASSERT_EQ(feed.payloads.size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(feed.payloads[2][kHeader.size()]), kEnvelopeVersion);
  size_t next = 0;
  for (const std::string& payload : feed.payloads) {
    EXPECT_EQ(LiveBatchOrigin(payload), "origin-1");
    auto part = DecodeLiveBatch(payload);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    for (const Envelope& e : *part) {
      ASSERT_EQ(e.device_id, static_cast<int64_t>(next)) << "out of order";
      ++next;
    }
  }
  EXPECT_EQ(next, n);
  EXPECT_EQ(DecodeLiveBatch(feed.payloads[0])->size(), kMaxEnvelopesPerList);
}

TEST(LiveFeedCodecTest, LeavesOutWhatTheBinaryFormCannotHold) {
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1), LiveEnvelope(1, std::string(70000, 'u'), 2),
                                 LiveEnvelope(1, "C", 3)};
  const LiveFeedPayloads feed = EncodeLiveBatch("origin-1", batch);
  EXPECT_EQ(feed.left_out, 1u);
  ASSERT_EQ(feed.payloads.size(), 1u);
  auto back = DecodeLiveBatch(feed.payloads[0]);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].message, batch[0].message);
  EXPECT_EQ((*back)[1].message, batch[2].message);
}

TEST(LiveFeedCodecTest, RejectsHostilePayloads) {
  EXPECT_EQ(LiveBatchOrigin("fleetd-live v1 no-newline"), "");
  EXPECT_EQ(LiveBatchOrigin("fleetd-live v2 x\n\x01"), "x");
  EXPECT_EQ(LiveBatchOrigin("fleetd-live v3 x\n\x01"), "");
  EXPECT_EQ(LiveBatchOrigin(""), "");
  for (const char* payload : {
           "",
           "[]",
           "fleetd-live v1 \n[]",  // empty origin
           "fleetd-live v1 o\n",
           "fleetd-live v1 o\n{",
           "fleetd-live v1 o\n{}",
           "fleetd-live v1 o\n[1]",
           "fleetd-live v1 o\n[[1,2]]",
           "fleetd-live v1 o\n[[1,2,3]]",
           "fleetd-live v1 o\n[[\"1\",2,{}]]",
           "fleetd-live v1 o\n[[1.5,2,{}]]",
           "fleetd-live v1 o\n[[18446744073709551615,2,{}]]",
           "fleetd-live v1 o\n[[1,2,{\"lat\":\"x\"}]]",
           "fleetd-live v1 o\n[[1,2,{\"lat\":91}]]",
           "fleetd-live v1 o\n[[1,2,{\"kind\":\"nope\"}]]",
           "fleetd-live v1 o\n[[1,2,{}]] trailing",
           "fleetd-live v2 o\n",    // no body
           "fleetd-live v2 o\n[]",  // JSON under a v2 header
           "fleetd-live v2 o\ngarbage",
           "fleetd-live v2 o",  // no newline
           "fleetd-live v2",
           "fleetd-live v20 o\n\x01",
       }) {
    EXPECT_FALSE(DecodeLiveBatch(payload).ok()) << payload;
  }

  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1000), LiveEnvelope(1, "B", 2000)};
  const std::string good = EncodeLiveBatch("o", batch).payloads[0];
  const size_t body = std::string_view("fleetd-live v2 o\n").size();
  ASSERT_TRUE(DecodeLiveBatch(good).ok());
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(DecodeLiveBatch(good.substr(0, n)).ok()) << "truncated at " << n;
  }
  EXPECT_FALSE(DecodeLiveBatch(good + "x").ok()) << "trailing bytes";
  std::string lying = good;  // a count of 65535 in ~100 bytes: refused before reserving
  lying[body + 1] = '\xff';
  lying[body + 2] = '\xff';
  EXPECT_EQ(DecodeLiveBatch(lying).status().code(), StatusCode::kBadLength);
  std::string v3 = good;
  v3[std::string_view("fleetd-live v").size()] = '3';
  EXPECT_EQ(DecodeLiveBatch(v3).status().code(), StatusCode::kMalformed);
  std::string no_origin = "fleetd-live v2 \n" + good.substr(body);
  EXPECT_FALSE(DecodeLiveBatch(no_origin).ok());
}

}  // namespace
}  // namespace fleetd
