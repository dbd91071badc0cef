// The live batch payload: round trip, origin recognition, hostile payloads.
#include "live/redis/live_feed_codec.h"

#include <gtest/gtest.h>

#include "contract/live_envelope.h"

namespace fleetd {
namespace {

using contract::LiveEnvelope;

TEST(LiveFeedCodecTest, RoundTrip) {
  std::vector<Envelope> batch = {LiveEnvelope(1, "A", 1000, 52.5, 13.4),
                                 LiveEnvelope(2, "B", std::nullopt, std::nullopt, std::nullopt)};
  batch[0].device_id = -5;
  batch[1].tenant_id = INT64_MAX;
  batch[0].message.attributes.Set("text", std::string("bad \xff utf-8"));
  std::string payload = EncodeLiveBatch("origin-1", batch);
  EXPECT_TRUE(payload.starts_with("fleetd-live v1 origin-1\n[")) << payload;
  EXPECT_EQ(LiveBatchOrigin(payload), "origin-1");
  auto back = DecodeLiveBatch(payload);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].tenant_id, 1);
  EXPECT_EQ((*back)[0].device_id, -5);
  EXPECT_EQ((*back)[1].tenant_id, INT64_MAX);
  EXPECT_EQ((*back)[1].message, batch[1].message);
  EXPECT_EQ(std::get<std::string>((*back)[0].message.attributes.at("text")), "bad \xef\xbf\xbd utf-8");

  auto empty = DecodeLiveBatch(EncodeLiveBatch("o", {}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(LiveFeedCodecTest, RejectsHostilePayloads) {
  EXPECT_EQ(LiveBatchOrigin("fleetd-live v1 no-newline"), "");
  EXPECT_EQ(LiveBatchOrigin("fleetd-live v2 x\n[]"), "");
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
       }) {
    EXPECT_FALSE(DecodeLiveBatch(payload).ok()) << payload;
  }
}

}  // namespace
}  // namespace fleetd
