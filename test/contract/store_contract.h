// Store contract suite: what every fleetd::Store must do, whether SQLite or
// PostgreSQL — idempotent writes, cursor paging, tenant isolation, typed
// errors, pending devices, values stored literally.
//
// Header-only, value-parameterized. An implementation's test file includes
// this header (in exactly one translation unit) and instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
//       testing::Values(StoreContractParam{"Sqlite", [] { ... }}),
//       StoreContractParamName);
//
// `make()` returns a new, empty, migrated store; a shared_ptr so the factory
// can attach clean-up (deleting a file, dropping a schema) to its deleter.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "contract/store_messages.h"
#include "fleetd/store.h"

namespace fleetd::contract {

struct StoreContractParam {
  std::string name;
  std::function<std::shared_ptr<Store>()> make;
};
inline void PrintTo(const StoreContractParam& p, std::ostream* os) { *os << p.name; }
inline std::string StoreContractParamName(const testing::TestParamInfo<StoreContractParam>& info) {
  return info.param.name;
}

class StoreContractTest : public testing::TestWithParam<StoreContractParam> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
  }

  Tenant MustAddTenant(const std::string& name) {
    auto t = store_->AddTenant(name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Tenant{};
  }
  Device MustAddDevice(int64_t tenant, const std::string& uid) {
    auto d = store_->AddDevice(tenant, uid, "truck " + uid);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : Device{};
  }
  // Writes `count` positions of `d`, one second apart from `first`, in batches of 500.
  void WriteTrack(const Device& d, TimestampMs first, int count) {
    std::vector<Envelope> batch;
    for (int i = 0; i < count; ++i) {
      batch.push_back(EnvelopeFor(d, PositionMessage(d.uid, first + i * 1000LL, 23.0 + i * 1e-5)));
      if (batch.size() == 500 || i == count - 1) {
        auto stats = store_->WriteBatch(batch);
        ASSERT_TRUE(stats.ok()) << stats.status().ToString();
        ASSERT_EQ(stats->positions_written, static_cast<int64_t>(batch.size()));
        batch.clear();
      }
    }
  }
  PositionQuery Query(const Device& d) {
    PositionQuery q;
    q.tenant_id = d.tenant_id;
    q.device_uid = d.uid;
    return q;
  }

  std::shared_ptr<Store> store_;
};

TEST_P(StoreContractTest, DeviceSettingsChangeOnlyWhatIsGiven) {
  Tenant a = MustAddTenant("acme");
  ASSERT_TRUE(store_->AddDevice(a.id, "862000000000001", "Truck").ok());
  auto fresh = store_->FindDeviceByUid("862000000000001");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->model, "");
  EXPECT_FALSE(fresh->lenient);
  DeviceSettings lenient_only;
  lenient_only.lenient = true;
  ASSERT_TRUE(store_->UpdateDeviceSettings("862000000000001", lenient_only).ok());
  DeviceSettings model_only;
  model_only.model = "NT20";
  auto updated = store_->UpdateDeviceSettings("862000000000001", model_only);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->model, "NT20");
  EXPECT_TRUE(updated->lenient);  // untouched by the second update
  EXPECT_EQ(store_->FindDeviceByUid("862000000000001")->model, "NT20");
  EXPECT_EQ(store_->UpdateDeviceSettings("nobody", model_only).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, RemovedDeviceIsGoneButItsHistoryStays) {
  Tenant a = MustAddTenant("acme");
  auto device = store_->AddDevice(a.id, "862000000000009", "Van");
  ASSERT_TRUE(device.ok());
  Envelope env;
  env.tenant_id = a.id;
  env.device_id = device->id;
  env.message.device_uid = "862000000000009";
  env.message.protocol = "gt06";
  env.message.ts = 1779359400000;
  env.message.lat = 23.5;
  env.message.lng = 90.25;
  ASSERT_TRUE(store_->WriteBatch(std::span<const Envelope>(&env, 1)).ok());
  ASSERT_TRUE(store_->RemoveDevice("862000000000009").ok());
  EXPECT_EQ(store_->FindDeviceByUid("862000000000009").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RemoveDevice("862000000000009").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListDevices(a.id)->empty());
  PositionQuery q;
  q.tenant_id = a.id;
  q.device_uid = "862000000000009";
  auto page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 1u);
  EXPECT_DOUBLE_EQ(*page->positions[0].lat, 23.5);
  // The uid can be registered again, by another tenant too.
  Tenant b = MustAddTenant("bravo");
  EXPECT_TRUE(store_->AddDevice(b.id, "862000000000009", "Reused").ok());
}

TEST_P(StoreContractTest, TenantsAddFindAndTypedErrors) {
  Tenant a = MustAddTenant("acme");
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.name, "acme");
  auto found = store_->FindTenant("acme");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, a.id);
  EXPECT_EQ(store_->AddTenant("acme").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->AddTenant("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->FindTenant("nobody").status().code(), StatusCode::kNotFound);
  auto by_id = store_->FindTenantById(a.id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "acme");
  EXPECT_EQ(store_->FindTenantById(a.id + 1000).status().code(), StatusCode::kNotFound);
  Tenant b = MustAddTenant("Acme");  // names are case-sensitive
  EXPECT_NE(b.id, a.id);
}

TEST_P(StoreContractTest, DevicesAreGloballyUniqueAndListedPerTenant) {
  Tenant a = MustAddTenant("a");
  Tenant b = MustAddTenant("b");
  Device d1 = MustAddDevice(a.id, "359710041234567");
  Device d2 = MustAddDevice(a.id, "359710041234568");
  Device d3 = MustAddDevice(b.id, "359710049999999");
  EXPECT_EQ(d1.tenant_id, a.id);
  EXPECT_EQ(d1.name, "truck 359710041234567");
  EXPECT_GT(d1.created_at, 0);

  auto found = store_->FindDeviceByUid("359710041234568");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, d2.id);
  EXPECT_EQ(found->tenant_id, a.id);
  EXPECT_EQ(found->name, d2.name);
  EXPECT_EQ(found->created_at, d2.created_at);

  EXPECT_EQ(store_->AddDevice(b.id, d1.uid, "stolen").status().code(), StatusCode::kAlreadyExists)
      << "a uid is what the hardware sends: unique across tenants";
  EXPECT_EQ(store_->AddDevice(a.id, "", "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddDevice(a.id, "123", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddDevice(987654, "123", "x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindDeviceByUid("123").status().code(), StatusCode::kNotFound);

  auto list_a = store_->ListDevices(a.id);
  ASSERT_TRUE(list_a.ok());
  ASSERT_EQ(list_a->size(), 2u);
  EXPECT_EQ((*list_a)[0].uid, d1.uid);
  EXPECT_EQ((*list_a)[1].uid, d2.uid);
  auto list_b = store_->ListDevices(b.id);
  ASSERT_TRUE(list_b.ok());
  ASSERT_EQ(list_b->size(), 1u);
  EXPECT_EQ((*list_b)[0].id, d3.id);
  auto list_none = store_->ListDevices(987654);
  ASSERT_TRUE(list_none.ok());
  EXPECT_TRUE(list_none->empty());
}

TEST_P(StoreContractTest, UsersAddFindAndTypedErrors) {
  Tenant a = MustAddTenant("a");
  User u{0, a.id, "ops@example.com", "$argon2id$v=19$stub", Role::kAdmin};
  auto added = store_->AddUser(u);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_GT(added->id, 0);
  auto found = store_->FindUserByEmail("ops@example.com");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, added->id);
  EXPECT_EQ(found->tenant_id, a.id);
  EXPECT_EQ(found->password_hash, u.password_hash);
  EXPECT_EQ(found->role, Role::kAdmin);

  User viewer{0, a.id, "view@example.com", "h", Role::kViewer};
  ASSERT_TRUE(store_->AddUser(viewer).ok());
  EXPECT_EQ(store_->FindUserByEmail("view@example.com")->role, Role::kViewer);
  User platform{0, a.id, "platform@example.com", "h", Role::kOperator};
  ASSERT_TRUE(store_->AddUser(platform).ok());
  EXPECT_EQ(store_->FindUserByEmail("platform@example.com")->role, Role::kOperator);

  EXPECT_EQ(store_->AddUser(u).status().code(), StatusCode::kAlreadyExists);
  User no_email = u;
  no_email.email = "";
  EXPECT_EQ(store_->AddUser(no_email).status().code(), StatusCode::kInvalidArgument);
  User no_tenant = u;
  no_tenant.email = "other@example.com";
  no_tenant.tenant_id = 987654;
  EXPECT_EQ(store_->AddUser(no_tenant).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindUserByEmail("nobody@example.com").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, WriteBatchIsIdempotent) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "862000000000001");
  std::vector<Envelope> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(EnvelopeFor(d, PositionMessage(d.uid, kBaseTs + i * 1000)));
  Message alarm = PositionMessage(d.uid, kBaseTs + 3000);
  alarm.kind = MessageKind::kAlarm;
  alarm.alarm = Alarm::kSos;
  batch.push_back(EnvelopeFor(d, alarm));
  Message heartbeat;  // no fix time: not stored
  heartbeat.device_uid = d.uid;
  heartbeat.protocol = "gt06";
  heartbeat.kind = MessageKind::kHeartbeat;
  heartbeat.received_at = kBaseTs;
  batch.push_back(EnvelopeFor(d, heartbeat));

  auto first = store_->WriteBatch(batch);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->positions_written, 4);
  EXPECT_EQ(first->duplicates, 0);
  EXPECT_EQ(first->events_written, 1);

  auto again = store_->WriteBatch(batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->positions_written, 0);
  EXPECT_EQ(again->duplicates, 4);
  EXPECT_EQ(again->events_written, 0);

  // A different alarm at the same fix time is a new event, not a new position.
  Message overspeed = alarm;
  overspeed.alarm = Alarm::kOverspeed;
  std::vector<Envelope> second = {EnvelopeFor(d, overspeed)};
  auto third = store_->WriteBatch(second);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->positions_written, 0);
  EXPECT_EQ(third->duplicates, 1);
  EXPECT_EQ(third->events_written, 1);

  auto page = store_->QueryPositions(Query(d));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 4u);
  EXPECT_EQ(page->positions[0], batch[0].message) << "the whole message round-trips";
  EXPECT_EQ(page->positions[3], alarm) << "the first write of a fix time wins";
  EXPECT_FALSE(page->next.has_value());

  auto empty = store_->WriteBatch({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->positions_written + empty->duplicates + empty->events_written, 0);
}

TEST_P(StoreContractTest, RewriteBatchReplacesRowsOfTheSameKey) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "862000000000002");
  Message first = PositionMessage(d.uid, kBaseTs);
  Message second = PositionMessage(d.uid, kBaseTs + 1000);
  Message alarm = PositionMessage(d.uid, kBaseTs + 2000);
  alarm.kind = MessageKind::kAlarm;
  alarm.alarm = Alarm::kSos;
  std::vector<Envelope> original = {EnvelopeFor(d, first), EnvelopeFor(d, second), EnvelopeFor(d, alarm)};
  ASSERT_TRUE(store_->WriteBatch(original).ok());

  // A buggy consumer's values for the first row and the alarm.
  Message wrong = first;
  wrong.speed_kmh = 999.5;
  wrong.lat = -1.25;
  wrong.attributes["io.bug"] = int64_t{7};
  Message wrong_alarm = alarm;
  wrong_alarm.speed_kmh = 1.0;
  Message heartbeat;  // no fix time: not stored
  heartbeat.device_uid = d.uid;
  heartbeat.protocol = "gt06";
  heartbeat.kind = MessageKind::kHeartbeat;
  heartbeat.received_at = kBaseTs;
  std::vector<Envelope> rewrite = {EnvelopeFor(d, wrong), EnvelopeFor(d, wrong_alarm), EnvelopeFor(d, heartbeat)};
  for (int round = 0; round < 2; ++round) {  // rewriting twice leaves one row per key
    auto stats = store_->RewriteBatch(rewrite);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->positions_written, 2) << "round " << round;
    EXPECT_EQ(stats->duplicates, 0);
    EXPECT_EQ(stats->events_written, 1);
  }
  auto page = store_->QueryPositions(Query(d));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->positions.size(), 3u);
  EXPECT_EQ(page->positions[0], wrong) << "the rewritten values replace the stored ones";
  EXPECT_EQ(page->positions[1], second) << "rows not in the batch are untouched";
  EXPECT_EQ(page->positions[2], wrong_alarm);
  auto latest = store_->LatestPositions(t.id);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].message, wrong_alarm);

  // WriteBatch after RewriteBatch: the key exists, so it is a duplicate.
  auto dup = store_->WriteBatch(original);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->positions_written, 0);
  EXPECT_EQ(dup->duplicates, 3);
  EXPECT_EQ(dup->events_written, 0);
  page = store_->QueryPositions(Query(d));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 3u);
  EXPECT_EQ(page->positions[0], wrong);

  // Restoring the original values (what replay does), plus a key never
  // stored (inserted) and a repeat of a key within the batch (the first counts).
  Message fresh = PositionMessage(d.uid, kBaseTs + 3000);
  Message repeat = first;
  repeat.speed_kmh = 5.0;
  std::vector<Envelope> restore = original;
  restore.push_back(EnvelopeFor(d, fresh));
  restore.push_back(EnvelopeFor(d, repeat));
  auto restored = store_->RewriteBatch(restore);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->positions_written, 4);
  EXPECT_EQ(restored->duplicates, 1);
  EXPECT_EQ(restored->events_written, 1);
  page = store_->QueryPositions(Query(d));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 4u);
  EXPECT_EQ(page->positions[0], first);
  EXPECT_EQ(page->positions[1], second);
  EXPECT_EQ(page->positions[2], alarm);
  EXPECT_EQ(page->positions[3], fresh);

  auto empty = store_->RewriteBatch({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->positions_written + empty->duplicates + empty->events_written, 0);
}

TEST_P(StoreContractTest, EveryFieldRoundTrips) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "A1");
  Message m = PositionMessage(d.uid, kBaseTs + 250);  // milliseconds survive
  m.kind = MessageKind::kTelemetry;
  m.altitude_m = -12.5;
  m.hdop = 0.9;
  m.odometer_km = 123456.789;
  m.battery_v = 3.95;
  m.power_v = 12.6;
  m.fuel_pct = 55.5;
  m.engine_temp_c = 90;
  m.rpm = 2100;
  m.valid = false;
  m.ignition = false;
  m.lat = -33.8688197;
  m.lng = 151.2092955;
  m.attributes["io.din1"] = true;
  m.attributes["io.count"] = int64_t{-7};
  m.attributes["io.ratio"] = 0.125;
  m.attributes["io.text"] = std::string("O'Brien \"quoted\" ✓");
  std::vector<Envelope> batch = {EnvelopeFor(d, m)};
  ASSERT_TRUE(store_->WriteBatch(batch).ok());
  auto page = store_->QueryPositions(Query(d));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 1u);
  EXPECT_EQ(page->positions[0], m);
}

TEST_P(StoreContractTest, CursorPagingVisitsEveryRowOnce) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "pager");
  Device other = MustAddDevice(t.id, "other");
  WriteTrack(d, kBaseTs, 2500);
  WriteTrack(other, kBaseTs, 10);

  PositionQuery q = Query(d);
  q.limit = 1000;
  std::vector<TimestampMs> seen;
  std::vector<size_t> sizes;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store_->QueryPositions(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    sizes.push_back(page->positions.size());
    for (const auto& m : page->positions) {
      EXPECT_EQ(m.device_uid, "pager");
      seen.push_back(*m.ts);
    }
    if (!page->next) break;
    EXPECT_EQ(*page->next, seen.back());
    q.after = page->next;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
  ASSERT_EQ(seen.size(), 2500u);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], kBaseTs + static_cast<TimestampMs>(i) * 1000);
}

TEST_P(StoreContractTest, FullLastPageEndsWithAnEmptyPage) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "even");
  WriteTrack(d, kBaseTs, 20);
  PositionQuery q = Query(d);
  q.limit = 10;
  auto p1 = store_->QueryPositions(q);
  ASSERT_TRUE(p1.ok());
  ASSERT_TRUE(p1->next.has_value());
  q.after = p1->next;
  auto p2 = store_->QueryPositions(q);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->positions.size(), 10u);
  ASSERT_TRUE(p2->next.has_value()) << "a full page may have a successor";
  q.after = p2->next;
  auto p3 = store_->QueryPositions(q);
  ASSERT_TRUE(p3.ok());
  EXPECT_TRUE(p3->positions.empty());
  EXPECT_FALSE(p3->next.has_value());
}

TEST_P(StoreContractTest, FromIsInclusiveToIsExclusive) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "bounds");
  WriteTrack(d, kBaseTs, 10);  // kBaseTs + 0s .. + 9s
  PositionQuery q = Query(d);
  q.from = kBaseTs + 2000;
  q.to = kBaseTs + 5000;
  auto page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 3u);
  EXPECT_EQ(page->positions.front().ts, kBaseTs + 2000);
  EXPECT_EQ(page->positions.back().ts, kBaseTs + 4000);

  q.after = kBaseTs + 3000;  // the cursor narrows the window further, exclusively
  page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->positions.size(), 1u);
  EXPECT_EQ(page->positions[0].ts, kBaseTs + 4000);

  q = Query(d);
  q.from = kBaseTs + 5000;
  q.to = kBaseTs + 5000;  // empty window
  page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->positions.empty());

  q = Query(d);
  q.after = std::numeric_limits<TimestampMs>::max();
  page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->positions.empty());

  q = Query(d);
  q.to = std::numeric_limits<TimestampMs>::min();
  page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->positions.empty());
}

TEST_P(StoreContractTest, LimitIsClampedToOneThroughTenThousand) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "clamp");
  WriteTrack(d, kBaseTs, 10001);
  PositionQuery q = Query(d);
  q.limit = 0;
  auto page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->positions.size(), 1u);
  EXPECT_EQ(page->next, kBaseTs);
  q.limit = -5;
  page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->positions.size(), 1u);
  q.limit = 1'000'000;
  page = store_->QueryPositions(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->positions.size(), 10000u);
  EXPECT_EQ(page->next, kBaseTs + 9999 * 1000LL);
}

TEST_P(StoreContractTest, TenantsAreIsolated) {
  Tenant a = MustAddTenant("a");
  Tenant b = MustAddTenant("b");
  Device da = MustAddDevice(a.id, "dev-a");
  Device db = MustAddDevice(b.id, "dev-b");
  WriteTrack(da, kBaseTs, 5);
  WriteTrack(db, kBaseTs + 100, 3);

  PositionQuery cross = Query(da);
  cross.tenant_id = b.id;
  EXPECT_EQ(store_->QueryPositions(cross).status().code(), StatusCode::kNotFound)
      << "another tenant's device must look like no device at all";
  PositionQuery unknown = Query(da);
  unknown.device_uid = "no-such-device";
  EXPECT_EQ(store_->QueryPositions(unknown).status().code(), StatusCode::kNotFound);

  auto latest_b = store_->LatestPositions(b.id);
  ASSERT_TRUE(latest_b.ok());
  ASSERT_EQ(latest_b->size(), 1u);
  EXPECT_EQ((*latest_b)[0].tenant_id, b.id);
  EXPECT_EQ((*latest_b)[0].device_id, db.id);
  EXPECT_EQ((*latest_b)[0].message.device_uid, "dev-b");
  EXPECT_EQ((*latest_b)[0].message.ts, kBaseTs + 100 + 2000);

  auto latest_all = store_->LatestPositions(std::nullopt);
  ASSERT_TRUE(latest_all.ok());
  ASSERT_EQ(latest_all->size(), 2u);
  auto latest_none = store_->LatestPositions(987654);
  ASSERT_TRUE(latest_none.ok());
  EXPECT_TRUE(latest_none->empty());
}

TEST_P(StoreContractTest, LatestPositionIsTheNewestLocatedRow) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "latest");
  Device silent = MustAddDevice(t.id, "silent");  // no positions: not listed
  (void)silent;
  Message older = PositionMessage(d.uid, kBaseTs + 5000, 10, 20);
  Message newest = PositionMessage(d.uid, kBaseTs + 9000, 11, 21);
  Message unlocated = PositionMessage(d.uid, kBaseTs + 12000);
  unlocated.lat.reset();
  unlocated.lng.reset();
  unlocated.kind = MessageKind::kStatus;
  // Written out of order, newest first: "latest" is by fix time, not arrival.
  std::vector<Envelope> batch = {EnvelopeFor(d, newest), EnvelopeFor(d, older), EnvelopeFor(d, unlocated)};
  ASSERT_TRUE(store_->WriteBatch(batch).ok());
  auto latest = store_->LatestPositions(t.id);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].message, newest);
  EXPECT_EQ((*latest)[0].device_id, d.id);
}

TEST_P(StoreContractTest, PendingDevicesUpsertAndClearOnRegistration) {
  PendingDevice seen{"359999000000001", "gt06", "10.0.0.7:5555", kBaseTs, kBaseTs, 1};
  ASSERT_TRUE(store_->RecordPending(seen).ok());
  PendingDevice again{"359999000000001", "gt06", "10.0.0.8:6000", kBaseTs + 60000, kBaseTs + 60000, 1};
  ASSERT_TRUE(store_->RecordPending(again).ok());
  PendingDevice other{"359999000000002", "teltonika", "10.0.0.9:1", kBaseTs + 1000, kBaseTs + 1000, 1};
  ASSERT_TRUE(store_->RecordPending(other).ok());
  EXPECT_EQ(store_->RecordPending(PendingDevice{}).code(), StatusCode::kInvalidArgument);

  auto pending = store_->ListPending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  const PendingDevice& p = (*pending)[0];  // most recently seen first
  EXPECT_EQ(p.uid, "359999000000001");
  EXPECT_EQ(p.attempts, 2);
  EXPECT_EQ(p.first_seen, kBaseTs);
  EXPECT_EQ(p.last_seen, kBaseTs + 60000);
  EXPECT_EQ(p.remote_address, "10.0.0.8:6000");
  EXPECT_EQ((*pending)[1].attempts, 1);

  Tenant t = MustAddTenant("t");
  MustAddDevice(t.id, "359999000000001");
  pending = store_->ListPending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u) << "registering a device clears it from pending";
  EXPECT_EQ((*pending)[0].uid, "359999000000002");

  EXPECT_TRUE(store_->RemovePending("359999000000002").ok());
  EXPECT_EQ(store_->RemovePending("359999000000002").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListPending()->empty());
}

TEST_P(StoreContractTest, HostileNamesAreStoredLiterally) {
  const std::string tenant_name = "x'); DROP TABLE tenants; --";
  const std::string uid = "1' OR '1'='1";
  const std::string name = "Robert\"); DELETE FROM devices; -- ✓ \\ %_";
  Tenant t = MustAddTenant(tenant_name);
  auto found_t = store_->FindTenant(tenant_name);
  ASSERT_TRUE(found_t.ok());
  EXPECT_EQ(found_t->name, tenant_name);

  MustAddDevice(t.id, "plain-device");
  auto d = store_->AddDevice(t.id, uid, name);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto found = store_->FindDeviceByUid(uid);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->uid, uid);
  EXPECT_EQ(found->name, name);
  EXPECT_EQ(store_->FindDeviceByUid("' OR 1=1 --").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindDeviceByUid("%").status().code(), StatusCode::kNotFound) << "no LIKE matching";
  EXPECT_EQ(store_->FindTenant("%").status().code(), StatusCode::kNotFound);

  auto devices = store_->ListDevices(t.id);
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(devices->size(), 2u) << "nothing was dropped or deleted";

  std::string nul_uid("ab\0cd", 5);  // embedded NUL must not truncate
  auto nul = store_->AddDevice(t.id, nul_uid, "nul");
  ASSERT_TRUE(nul.ok());
  EXPECT_EQ(store_->FindDeviceByUid("ab").status().code(), StatusCode::kNotFound);
  auto nul_found = store_->FindDeviceByUid(nul_uid);
  ASSERT_TRUE(nul_found.ok());
  EXPECT_EQ(nul_found->uid, nul_uid);
}

TEST_P(StoreContractTest, ConcurrentWritersAndReaders) {
  Tenant t = MustAddTenant("t");
  Device d = MustAddDevice(t.id, "busy");
  std::atomic<bool> stop{false};
  std::atomic<int> read_errors{0};
  std::thread writer([&] {
    for (int b = 0; b < 20; ++b) {
      std::vector<Envelope> batch;
      for (int i = 0; i < 100; ++i)
        batch.push_back(EnvelopeFor(d, PositionMessage(d.uid, kBaseTs + b * 100 + i)));
      auto s = store_->WriteBatch(batch);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
    }
    stop = true;
  });
  auto reader = [&] {
    size_t last = 0;
    while (!stop) {
      auto page = store_->QueryPositions(Query(d));
      if (!page.ok()) {
        ++read_errors;
        continue;
      }
      // Whole batches only: a reader never sees half a transaction.
      EXPECT_EQ(page->positions.size() % 100, 0u);
      EXPECT_GE(page->positions.size(), last);
      last = page->positions.size();
      if (!store_->LatestPositions(t.id).ok()) ++read_errors;
    }
  };
  std::thread r1(reader), r2(reader);
  writer.join();
  r1.join();
  r2.join();
  EXPECT_EQ(read_errors, 0);
  auto all = store_->QueryPositions(Query(d));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->positions.size(), 1000u);  // default limit
}

}  // namespace fleetd::contract
