// In-test fakes of Store and LiveState: vectors behind a mutex, enough for
// the API's routes. The real implementations run in the end-to-end suite.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include <algorithm>
#include <map>
#include <mutex>

#include "api/stream_messages.h"
#include "fleetd/live_state.h"
#include "fleetd/store.h"

namespace fleetd::api::testing {

class FakeStore : public Store {
 public:
  Result<WriteStats> WriteBatch(std::span<const Envelope> batch) override {
    std::lock_guard lock(mu_);
    WriteStats stats;
    for (const auto& e : batch) {
      positions.push_back(e);
      ++stats.positions_written;
    }
    return stats;
  }

  // Replaces the stored envelope of the same (device, fix time), else appends.
  Result<WriteStats> RewriteBatch(std::span<const Envelope> batch) override {
    std::lock_guard lock(mu_);
    WriteStats stats;
    for (const auto& e : batch) {
      auto same = std::find_if(positions.begin(), positions.end(), [&](const Envelope& p) {
        return p.device_id == e.device_id && p.message.ts == e.message.ts;
      });
      if (same != positions.end()) {
        *same = e;
      } else {
        positions.push_back(e);
      }
      ++stats.positions_written;
    }
    return stats;
  }

  Result<PositionPage> QueryPositions(const PositionQuery& q) override {
    std::lock_guard lock(mu_);
    last_query = q;
    PositionPage page;
    for (const auto& e : positions) {
      const Message& m = e.message;
      if (e.tenant_id != q.tenant_id || m.device_uid != q.device_uid || !m.ts) continue;
      if ((q.from && *m.ts < *q.from) || (q.to && *m.ts >= *q.to) || (q.after && *m.ts <= *q.after)) continue;
      if (static_cast<int>(page.positions.size()) == q.limit) {
        page.next = *page.positions.back().ts;
        break;
      }
      page.positions.push_back(m);
    }
    return page;
  }

  Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t>) override { return std::vector<Envelope>{}; }

  Result<Tenant> AddTenant(const std::string& name) override { return Tenant{++next_id_, name}; }
  Result<Tenant> FindTenant(const std::string&) override { return Status(StatusCode::kNotFound, "no tenant"); }
  Result<Tenant> FindTenantById(int64_t) override { return Status(StatusCode::kNotFound, "no tenant"); }
  Status RemoveDevice(const std::string&) override { return Status(StatusCode::kNotFound, "no device"); }
  Result<Device> UpdateDeviceSettings(const std::string&, const DeviceSettings&) override {
    return Status(StatusCode::kNotFound, "no device");
  }

  Result<Device> AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) override {
    std::lock_guard lock(mu_);
    for (const auto& d : devices) {
      if (d.uid == uid) return Status(StatusCode::kAlreadyExists, "uid taken");
    }
    devices.push_back(Device{++next_id_, tenant_id, uid, name, 1700000000000, "", false});
    return devices.back();
  }
  Result<Device> FindDeviceByUid(const std::string& uid) override {
    std::lock_guard lock(mu_);
    for (const auto& d : devices) {
      if (d.uid == uid) return d;
    }
    return Status(StatusCode::kNotFound, "no device");
  }
  Result<std::vector<Device>> ListDevices(int64_t tenant_id) override {
    // A slow database, outside the lock: concurrent queries overlap.
    if (list_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(list_delay_ms.load()));
    ++list_calls;
    std::lock_guard lock(mu_);
    if (fail_reads) return Status(StatusCode::kIoError, "disk on fire: /secret/path");
    std::vector<Device> out;
    for (const auto& d : devices) {
      if (d.tenant_id == tenant_id) out.push_back(d);
    }
    return out;
  }
  Result<User> AddUser(const User& user) override {
    std::lock_guard lock(mu_);
    users.push_back(user);
    users.back().id = ++next_id_;
    return users.back();
  }
  Result<User> FindUserByEmail(const std::string& email) override {
    std::lock_guard lock(mu_);
    for (const auto& u : users) {
      if (u.email == email) return u;
    }
    return Status(StatusCode::kNotFound, "no user");
  }
  Status RecordPending(const PendingDevice& seen) override {
    std::lock_guard lock(mu_);
    pending.push_back(seen);
    return Status::Ok();
  }
  Result<std::vector<PendingDevice>> ListPending() override {
    std::lock_guard lock(mu_);
    return pending;
  }
  Status RemovePending(const std::string& uid) override {
    std::lock_guard lock(mu_);
    size_t n = std::erase_if(pending, [&](const PendingDevice& p) { return p.uid == uid; });
    return n ? Status::Ok() : Status(StatusCode::kNotFound, "not pending");
  }

  std::vector<Device> devices;
  std::vector<User> users;
  std::vector<Envelope> positions;
  std::vector<PendingDevice> pending;
  std::optional<PositionQuery> last_query;
  bool fail_reads = false;
  std::atomic<int> list_delay_ms{0};  // ListDevices sleeps this long first
  std::atomic<int> list_calls{0};     // ListDevices calls so far

 private:
  std::mutex mu_;
  int64_t next_id_ = 100;
};

class FakeLive : public LiveState {
 public:
  void Update(std::span<const Envelope> batch) override {
    std::vector<Listener> listeners;
    {
      std::lock_guard lock(mu_);
      for (const auto& e : batch) latest_[{e.tenant_id, e.message.device_uid}] = e.message;
      for (const auto& [id, l] : listeners_) listeners.push_back(l);
    }
    for (const auto& e : batch) {
      for (const auto& l : listeners) l(e);
    }
  }
  std::vector<Message> Snapshot(int64_t tenant_id) const override {
    std::lock_guard lock(mu_);
    std::vector<Message> out;
    for (const auto& [key, m] : latest_) {
      if (key.first == tenant_id) out.push_back(m);
    }
    return out;
  }
  std::optional<Message> Get(int64_t tenant_id, const std::string& uid) const override {
    std::lock_guard lock(mu_);
    auto it = latest_.find({tenant_id, uid});
    if (it == latest_.end()) return std::nullopt;
    return it->second;
  }
  Status Forget(int64_t tenant_id, const std::string& uid) override {
    std::lock_guard lock(mu_);
    latest_.erase({tenant_id, uid});
    return Status::Ok();
  }
  // Records the query and answers the tenant's messages in uid order, at
  // most `limit`: the router's parsing is what the tests check, not geometry.
  std::vector<Message> Near(int64_t tenant_id, double lat, double lng, double radius_m, size_t limit) const override {
    std::vector<Message> out = Snapshot(tenant_id);
    std::lock_guard lock(mu_);
    last_near = NearQuery{tenant_id, lat, lng, radius_m, limit};
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  struct NearQuery {
    int64_t tenant_id;
    double lat, lng, radius_m;
    size_t limit;
  };
  mutable std::optional<NearQuery> last_near;

  using LiveState::Subscribe;
  uint64_t Subscribe(Listener listener, Interest) override {
    std::lock_guard lock(mu_);
    listeners_[next_] = std::move(listener);
    return next_++;
  }
  void Unsubscribe(uint64_t id) override {
    std::lock_guard lock(mu_);
    listeners_.erase(id);
  }
  size_t listener_count() const {
    std::lock_guard lock(mu_);
    return listeners_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<int64_t, std::string>, Message> latest_;
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_ = 1;
};

inline VehicleFilter Only(std::initializer_list<std::string> uids) {
  return VehicleFilter(std::set<std::string, std::less<>>(uids));
}

// A located message for tests.
inline Message TestMessage(const std::string& uid, TimestampMs ts, double lat, double lng, double speed) {
  Message m;
  m.device_uid = uid;
  m.protocol = "gt06";
  m.kind = MessageKind::kPosition;
  m.ts = ts;
  m.received_at = ts + 500;
  m.valid = true;
  m.lat = lat;
  m.lng = lng;
  m.speed_kmh = speed;
  m.heading = 90;
  return m;
}

}  // namespace fleetd::api::testing
