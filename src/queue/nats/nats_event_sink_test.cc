// NatsEventSink against a real nats-server (JetStream, file storage) that
// this binary starts on a free loopback port: subscribers on the event
// subjects get exactly their events, a batch published twice is stored once,
// hostile types still make one valid subject token, and a server that is
// down gives a bounded error.
#include "queue/nats/nats_event_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/message_json.h"
#include "queue/nats/nats_session.h"
#include "queue/nats/nats_subjects.h"
#include "queue/nats/nats_test_server.h"
#include "queue/nats/nats_test_support.h"

namespace fleetd::nats {
namespace {

using namespace std::chrono_literals;

test::NatsTestServer* g_server = nullptr;

// A fresh stream and prefix per test, so tests sharing the server never see
// each other's events.
NatsQueueOptions FreshOptions(const std::string& url) { return test::FreshStream(url, 'E'); }

Event AlarmEvent(int64_t tenant, const std::string& uid, TimestampMs ts, Alarm alarm) {
  Message m;
  m.device_uid = uid;
  m.protocol = "gt06";
  m.kind = MessageKind::kAlarm;
  m.ts = ts;
  m.received_at = ts + 400;
  m.lat = 52.520008;
  m.lng = 13.404954;
  m.alarm = alarm;
  Event e;
  e.tenant_id = tenant;
  e.device_id = 100 + tenant;
  e.device_uid = uid;
  e.type = std::string(AlarmName(alarm));
  e.ts = ts;
  e.body_json = MessageToJsonText(m);
  return e;
}

std::unique_ptr<NatsEventSink> OpenSinkOrFail(const NatsQueueOptions& o) {
  auto sink = NatsEventSink::Open(o);
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  return sink.ok() ? std::move(*sink) : nullptr;
}

struct Received {
  std::string subject;
  std::string body;
  std::string msg_id;
};

// A plain (core NATS) subscriber, as a downstream service would have.
class Subscriber {
 public:
  Subscriber(const NatsQueueOptions& o, const std::string& subject) {
    auto session = NatsSession::Connect(o, nullptr, nullptr);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    if (!session.ok()) return;
    session_ = std::move(*session);
    EXPECT_EQ(natsConnection_SubscribeSync(&sub_, session_->connection(), subject.c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_Flush(session_->connection()), NATS_OK);  // registered before anything is published
  }
  ~Subscriber() {
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
  }
  // Every message that arrives until none has for `quiet`.
  std::vector<Received> Drain(std::chrono::milliseconds quiet = 300ms) {
    std::vector<Received> got;
    natsMsg* msg = nullptr;
    while (sub_ != nullptr && natsSubscription_NextMsg(&msg, sub_, quiet.count()) == NATS_OK) {
      Received r;
      r.subject = natsMsg_GetSubject(msg);
      r.body.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
      const char* id = nullptr;
      if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) r.msg_id = id;
      got.push_back(std::move(r));
      natsMsg_Destroy(msg);
    }
    return got;
  }

 private:
  std::shared_ptr<NatsSession> session_;
  natsSubscription* sub_ = nullptr;
};

// Messages in a stream, -1 if it cannot be read.
int64_t StreamMessages(const NatsQueueOptions& o, const std::string& stream) {
  auto session = NatsSession::Connect(o, nullptr, nullptr);
  if (!session.ok()) return -1;
  jsStreamInfo* si = nullptr;
  if (js_GetStreamInfo(&si, (*session)->js(), stream.c_str(), nullptr, nullptr) != NATS_OK) return -1;
  const auto n = static_cast<int64_t>(si->State.Msgs);
  jsStreamInfo_Destroy(si);
  return n;
}

TEST(NatsEventSinkTest, SubscribersGetExactlyTheEventsOfTheirSubjects) {
  const NatsQueueOptions o = FreshOptions(g_server->url());
  auto sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  Subscriber sos(o, o.prefix + ".events.*.sos");
  Subscriber tenant42(o, o.prefix + ".events.42.>");
  const std::vector<Event> batch = {
      AlarmEvent(42, "359710049095015", 1700000001000, Alarm::kSos),
      AlarmEvent(42, "359710049095016", 1700000002000, Alarm::kOverspeed),
      AlarmEvent(7, "359710049095017", 1700000003000, Alarm::kSos),
  };
  ASSERT_TRUE(sink->Publish(batch).ok());

  std::vector<Received> got = sos.Drain();
  ASSERT_EQ(got.size(), 2u) << "the overspeed event must not reach the sos subscriber";
  std::map<std::string, Received> by_subject;
  for (auto& r : got) by_subject[r.subject] = r;
  ASSERT_TRUE(by_subject.count(o.prefix + ".events.42.sos"));
  ASSERT_TRUE(by_subject.count(o.prefix + ".events.7.sos"));
  const Received& first = by_subject[o.prefix + ".events.42.sos"];
  EXPECT_EQ(first.body, batch[0].body_json);
  EXPECT_EQ(first.msg_id, "359710049095015-t1700000001000-sos");
  auto message = MessageFromJsonText(first.body);
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->device_uid, "359710049095015");
  EXPECT_EQ(message->alarm, Alarm::kSos);
  EXPECT_EQ(message->ts, 1700000001000);
  EXPECT_EQ(by_subject[o.prefix + ".events.7.sos"].body, batch[2].body_json);

  got = tenant42.Drain();
  ASSERT_EQ(got.size(), 2u) << "tenant 7's event must not reach tenant 42's subscriber";
  by_subject.clear();
  for (auto& r : got) by_subject[r.subject] = r;
  EXPECT_EQ(by_subject[o.prefix + ".events.42.sos"].body, batch[0].body_json);
  EXPECT_EQ(by_subject[o.prefix + ".events.42.overspeed"].body, batch[1].body_json);
  EXPECT_EQ(StreamMessages(o, EventStreamName(o.stream)), 3);
  EXPECT_EQ(StreamMessages(o, o.stream), -1) << "the sink creates the events stream only, not the queue's";
}

TEST(NatsEventSinkTest, PublishingTheSameBatchTwiceStoresEachEventOnce) {
  const NatsQueueOptions o = FreshOptions(g_server->url());
  auto sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  const std::vector<Event> batch = {
      AlarmEvent(1, "A", 1000, Alarm::kSos),
      AlarmEvent(1, "A", 1000, Alarm::kPowerCut),  // same device and time, other type: its own event
      AlarmEvent(1, "A", 2000, Alarm::kSos),
  };
  ASSERT_TRUE(sink->Publish(batch).ok());
  ASSERT_TRUE(sink->Publish(batch).ok()) << "a duplicate is acknowledged, not refused";
  EXPECT_EQ(StreamMessages(o, EventStreamName(o.stream)), 3);

  // A new sink (a restarted process) publishing a redelivered batch: still once.
  sink.reset();
  sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Publish(std::span<const Event>(batch).subspan(1)).ok());
  EXPECT_EQ(StreamMessages(o, EventStreamName(o.stream)), 3);
}

TEST(NatsEventSinkTest, EmptyBatchPublishesNothing) {
  const NatsQueueOptions o = FreshOptions(g_server->url());
  auto sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  Subscriber all(o, o.prefix + ".events.>");
  EXPECT_TRUE(sink->Publish({}).ok());
  EXPECT_TRUE(all.Drain(200ms).empty());
  EXPECT_EQ(StreamMessages(o, EventStreamName(o.stream)), 0);
}

// Types the events engine or a device could produce that are not one valid
// subject token: each must land on one escaped token below the tenant,
// never spill into further tokens or act as a wildcard.
TEST(NatsEventSinkTest, HostileTypesMakeOneValidSubjectToken) {
  const NatsQueueOptions o = FreshOptions(g_server->url());
  auto sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  Subscriber one_token(o, o.prefix + ".events.5.*");
  std::vector<Event> batch;
  for (const char* type : {"door open", "a.b", "*", ">", "", "geofence.*.>", "x\r\ny"}) {
    Event e = AlarmEvent(5, "dev", 1000, Alarm::kGeneral);
    e.type = type;
    batch.push_back(e);
  }
  Status published = sink->Publish(batch);
  ASSERT_TRUE(published.ok()) << published.ToString();
  std::vector<Received> got = one_token.Drain();
  ASSERT_EQ(got.size(), batch.size()) << "every event on exactly one token after the tenant";
  std::map<std::string, std::string> ids;  // subject -> id
  for (const auto& r : got) ids[r.subject] = r.msg_id;
  EXPECT_EQ(ids.size(), batch.size()) << "distinct types keep distinct subjects";
  EXPECT_TRUE(ids.count(o.prefix + ".events.5.door%20open"));
  EXPECT_TRUE(ids.count(o.prefix + ".events.5.a%2Eb"));
  EXPECT_TRUE(ids.count(o.prefix + ".events.5.%2A"));
  EXPECT_TRUE(ids.count(o.prefix + ".events.5.%3E"));
  EXPECT_TRUE(ids.count(o.prefix + ".events.5.%"));
  EXPECT_TRUE(ids.count(o.prefix + ".events.5.geofence%2E%2A%2E%3E"));
  EXPECT_EQ(ids[o.prefix + ".events.5.x%0D%0Ay"], "dev-t1000-x%0D%0Ay");
  EXPECT_EQ(StreamMessages(o, EventStreamName(o.stream)), static_cast<int64_t>(batch.size()));
}

TEST(NatsEventSinkTest, EventStreamHasTheQueuesLimits) {
  NatsQueueOptions o = FreshOptions(g_server->url());
  o.max_age = 36h;
  o.dedup_window = 90s;
  auto sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  auto inspect = NatsSession::Connect(o, nullptr, nullptr);
  ASSERT_TRUE(inspect.ok());
  jsStreamInfo* si = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&si, (*inspect)->js(), (o.stream + "_EVENTS").c_str(), nullptr, nullptr), NATS_OK);
  EXPECT_EQ(si->Config->Storage, js_FileStorage);
  EXPECT_EQ(si->Config->MaxAge, 36LL * 3600 * 1000000000);
  EXPECT_EQ(si->Config->Duplicates, 90LL * 1000000000);
  EXPECT_EQ(si->Config->Replicas, 1);
  ASSERT_EQ(si->Config->SubjectsLen, 1);
  EXPECT_STREQ(si->Config->Subjects[0], (o.prefix + ".events.>").c_str());
  jsStreamInfo_Destroy(si);
  sink.reset();

  // Opening again with new limits updates the stream.
  o.max_age = 48h;
  sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(js_GetStreamInfo(&si, (*inspect)->js(), (o.stream + "_EVENTS").c_str(), nullptr, nullptr), NATS_OK);
  EXPECT_EQ(si->Config->MaxAge, 48LL * 3600 * 1000000000);
  jsStreamInfo_Destroy(si);
}

TEST(NatsEventSinkTest, OpenFromTheQueueUrl) {
  const NatsQueueOptions fresh = test::FreshStream(g_server->url(), 'U');  // only its names are used
  const std::string stream = fresh.stream, prefix = fresh.prefix;
  auto sink = NatsEventSink::Open(g_server->url() + "?stream=" + stream + "&prefix=" + prefix + "&max_bytes=64MiB");
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  NatsQueueOptions o;
  o.servers = {g_server->url()};
  const std::vector<Event> batch = {AlarmEvent(3, "u", 1, Alarm::kSos)};
  ASSERT_TRUE((*sink)->Publish(batch).ok());
  EXPECT_EQ(StreamMessages(o, stream + "_EVENTS"), 1);
  auto bad = NatsEventSink::Open(g_server->url() + "?partitions=0");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(NatsEventSinkTest, ServerDownIsABoundedError) {
  // Nobody listens on this port: Open fails within connect_timeout.
  test::NatsTestServer never_started;
  NatsQueueOptions o = FreshOptions(never_started.url());
  o.connect_timeout = 500ms;
  auto start = std::chrono::steady_clock::now();
  auto refused = NatsEventSink::Open(o);
  EXPECT_FALSE(refused.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  // A server that goes away after Open: Publish fails within publish_timeout.
  test::NatsTestServer server;
  ASSERT_EQ(server.Start(), "");
  o = FreshOptions(server.url());
  o.publish_timeout = 1s;
  auto sink = OpenSinkOrFail(o);
  ASSERT_NE(sink, nullptr);
  const std::vector<Event> batch = {AlarmEvent(1, "A", 1, Alarm::kSos), AlarmEvent(1, "B", 1, Alarm::kSos)};
  ASSERT_TRUE(sink->Publish(batch).ok());
  server.Kill();
  start = std::chrono::steady_clock::now();
  Status down = sink->Publish(batch);
  EXPECT_FALSE(down.ok());
  EXPECT_EQ(down.code(), StatusCode::kIoError) << down.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << down.ToString();
  // And every later attempt while it stays down (the processor retries).
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sink->Publish(batch).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

}  // namespace
}  // namespace fleetd::nats

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return fleetd::nats::test::RunAllTestsWithServer(&fleetd::nats::g_server);
}
