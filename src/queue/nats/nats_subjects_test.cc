// Partitioning and message ids must never change between builds: a device
// moved to another partition loses its order, and an id computed differently
// after an upgrade defeats the duplicate window. The expected values here
// are pinned.
#include "queue/nats/nats_subjects.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/envelope_codec.h"

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

TEST(NatsSubjectsTest, EventSubjectsAndStream) {
  EXPECT_EQ(EventSubject("fleetd", 42, "sos"), "fleetd.events.42.sos");
  EXPECT_EQ(EventSubject("a.b", 7, "geofence_enter"), "a.b.events.7.geofence_enter");
  EXPECT_EQ(EventSubject("fleetd", -1, "low-battery"), "fleetd.events.-1.low-battery");
  EXPECT_EQ(EventStreamSubjects("fleetd"), "fleetd.events.>");
  EXPECT_EQ(EventStreamName("FLEETD"), "FLEETD_EVENTS");
}

// A type from a future rule or a device must never turn into a wildcard, a
// separator or an empty token, and two types must not share a token.
TEST(NatsSubjectsTest, HostileEventTypesBecomeOneSafeToken) {
  EXPECT_EQ(EventTypeToken("door open"), "door%20open");
  EXPECT_EQ(EventTypeToken("a.b"), "a%2Eb");
  EXPECT_EQ(EventTypeToken("*"), "%2A");
  EXPECT_EQ(EventTypeToken(">"), "%3E");
  EXPECT_EQ(EventTypeToken(""), "%");
  EXPECT_EQ(EventTypeToken("%2A"), "%252A") << "a literal escape must not collide with an escaped '*'";
  EXPECT_EQ(EventTypeToken("\r\n\t"), "%0D%0A%09");
  EXPECT_EQ(EventTypeToken("\xc3\xbc"), "%C3%BC");
  EXPECT_EQ(EventTypeToken(std::string("a\0b", 3)), "a%00b");
  for (std::string_view hostile : {"door open", "a.b", "*", ">", "", "x.>", " ", "\x7f", "a\r\nb"}) {
    const std::string subject = EventSubject("fleetd", 1, hostile);
    const std::string token = subject.substr(std::string("fleetd.events.1.").size());
    EXPECT_FALSE(token.empty()) << subject;
    EXPECT_EQ(token.find_first_of(".*> \t\r\n"), std::string::npos) << subject;
    for (char c : token) EXPECT_TRUE(c > 0x20 && c < 0x7f) << subject;
  }
}

TEST(NatsSubjectsTest, EventMessageIds) {
  EXPECT_EQ(EventMessageId("359710049095015", 1700000001000, "sos"), "359710049095015-t1700000001000-sos");
  EXPECT_NE(EventMessageId("u", 1, "sos"), EventMessageId("u", 1, "overspeed"));
  EXPECT_NE(EventMessageId("u", 1, "sos"), EventMessageId("u", 2, "sos"));
  const std::string id = EventMessageId("evil\r\nNats-Msg-Id: x", 5, "a b\r\n");
  EXPECT_EQ(id.find_first_of("\r\n "), std::string::npos) << id;
  EXPECT_EQ(id[0], 'h');
}

}  // namespace
}  // namespace fleetd::nats
