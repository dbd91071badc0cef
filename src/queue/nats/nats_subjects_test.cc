// Partitioning and message ids must never change between builds: a device
// moved to another partition loses its order, and an id computed differently
// after an upgrade defeats the duplicate window. The expected values here
// are pinned.
#include "queue/nats/nats_subjects.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "queue/nats/envelope_codec.h"

namespace fleetd::nats {
namespace {

TEST(NatsSubjectsTest, FnvMatchesTheReferenceVectors) {
  EXPECT_EQ(Fnv1a32(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a32("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a32("foobar"), 0xbf9cf968u);
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(NatsSubjectsTest, PartitionsArePinnedAndSpread) {
  // Pinned: fnv1a32("359710040000001") % 16 and friends.
  EXPECT_EQ(PartitionOf("359710040000001", 16), Fnv1a32("359710040000001") % 16);
  EXPECT_EQ(PartitionOf("foobar", 16), 0xbf9cf968u % 16);
  EXPECT_EQ(PartitionOf("foobar", 1), 0u);
  std::set<size_t> seen;
  for (int i = 0; i < 1000; ++i) {
    size_t p = PartitionOf("35971004" + std::to_string(1000000 + i), 16);
    ASSERT_LT(p, 16u);
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 16u) << "1000 IMEIs should reach every partition";
}

TEST(NatsSubjectsTest, SubjectAndConsumerNames) {
  EXPECT_EQ(PartitionSubject("fleetd", 3), "fleetd.msg.3");
  EXPECT_EQ(PartitionSubject("acme.prod", 15), "acme.prod.msg.15");
  EXPECT_EQ(StreamSubjects("fleetd"), "fleetd.msg.*");
  EXPECT_EQ(ConsumerName("fleetd", 7), "fleetd_p7");
}

Envelope Sample() {
  Envelope e;
  e.tenant_id = 1;
  e.device_id = 2;
  e.message.device_uid = "359710040000001";
  e.message.protocol = "gt06";
  e.message.ts = 1767225600000;
  e.message.received_at = 1767225601000;
  e.message.lat = 1.5;
  return e;
}

std::string IdOf(const Envelope& e) {
  std::string buf;
  EXPECT_TRUE(EncodeEnvelope(e, buf).ok());
  return MessageId(e, buf);
}

TEST(NatsSubjectsTest, MessageIdIgnoresReceiveTimeButNotContent) {
  Envelope a = Sample();
  Envelope retransmit = a;
  retransmit.message.received_at += 60000;  // read again a minute later, after a crash
  EXPECT_EQ(IdOf(a), IdOf(retransmit));
  EXPECT_EQ(IdOf(a).rfind("359710040000001-t1767225600000-", 0), 0u) << IdOf(a);

  Envelope other = a;
  other.message.lat = 1.6;  // same device and time, other content
  EXPECT_NE(IdOf(a), IdOf(other));
  Envelope no_fix = a;
  no_fix.message.ts.reset();
  EXPECT_EQ(IdOf(no_fix).rfind("359710040000001-r1767225601000-", 0), 0u) << IdOf(no_fix);
}

TEST(NatsSubjectsTest, HostileUidsNeverReachTheHeader) {
  Envelope e = Sample();
  e.message.device_uid = "evil\r\nNats-Msg-Id: x";
  std::string id = IdOf(e);
  EXPECT_EQ(id.find_first_of("\r\n :"), std::string::npos) << id;
  EXPECT_EQ(id[0], 'h');
  e.message.device_uid = std::string(65, '1');
  EXPECT_EQ(IdOf(e)[0], 'h') << "overlong uids are hashed";
}

}  // namespace
}  // namespace fleetd::nats
