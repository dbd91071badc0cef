// BatchEvents: exactly the alarm messages with a fix time become events,
// carrying the envelope's identity and the message's own JSON.
#include "process/batch_events.h"

#include <gtest/gtest.h>

#include "core/message_json.h"

namespace fleetd {
namespace {

Envelope Msg(const std::string& uid, std::optional<TimestampMs> ts, std::optional<Alarm> alarm) {
  Envelope e;
  e.tenant_id = 42;
  e.device_id = 7;
  e.message.device_uid = uid;
  e.message.protocol = "gt06";
  e.message.kind = alarm ? MessageKind::kAlarm : MessageKind::kPosition;
  e.message.ts = ts;
  e.message.received_at = 1700000000500;
  e.message.lat = 52.5;
  e.message.lng = 13.4;
  e.message.alarm = alarm;
  return e;
}

TEST(BatchEventsTest, OneEventPerAlarmWithAFixTimeInBatchOrder) {
  const std::vector<Envelope> batch = {
      Msg("359710049095015", 1700000000000, std::nullopt),  // a plain position
      Msg("359710049095015", 1700000001000, Alarm::kSos),
      Msg("359710049095016", std::nullopt, Alarm::kSos),  // no fix time: no event row either
      Msg("359710049095016", 1700000002000, Alarm::kOverspeed),
  };
  const std::vector<Event> events = BatchEvents(batch);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].tenant_id, 42);
  EXPECT_EQ(events[0].device_id, 7);
  EXPECT_EQ(events[0].device_uid, "359710049095015");
  EXPECT_EQ(events[0].type, "sos");
  EXPECT_EQ(events[0].ts, 1700000001000);
  EXPECT_EQ(events[0].body_json, MessageToJsonText(batch[1].message));
  EXPECT_EQ(events[1].type, "overspeed");
  EXPECT_EQ(events[1].device_uid, "359710049095016");
  EXPECT_EQ(events[1].ts, 1700000002000);
  auto back = MessageFromJsonText(events[1].body_json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, batch[3].message);
}

TEST(BatchEventsTest, NoAlarmsNoEvents) {
  EXPECT_TRUE(BatchEvents({}).empty());
  const std::vector<Envelope> batch = {Msg("a", 1, std::nullopt), Msg("b", std::nullopt, std::nullopt)};
  EXPECT_TRUE(BatchEvents(batch).empty());
}

}  // namespace
}  // namespace fleetd
