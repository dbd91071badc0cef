// Store: the durable record — tenants, users, devices, positions, events.
//
// Embedded implementation: SQLite (src/store/sqlite). Server implementation:
// PostgreSQL (src/store/postgres: time partitions, row-level security). Every tenant-owned read takes a tenant id and returns
// only that tenant's rows. Writes of messages are idempotent on (device, fix
// time), so a retransmitted or replayed message is stored once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/message.h"
#include "fleetd/queue.h"
#include "fleetd/status.h"

namespace fleetd {

struct Tenant {
  int64_t id = 0;
  std::string name;
};

struct Device {
  int64_t id = 0;
  int64_t tenant_id = 0;
  std::string uid;
  std::string name;
  TimestampMs created_at = 0;
  // Decoding settings for models that deviate from their protocol: `model`
  // selects model-specific layouts, `lenient` accepts bad checksums and odd
  // lengths from this device only.
  std::string model;
  bool lenient = false;
};

struct DeviceSettings {
  std::optional<std::string> model;
  std::optional<bool> lenient;
};

// A user's role. An admin manages its own tenant; a viewer only reads it.
// An operator runs the platform: an admin of its own tenant, and the only
// role shown what belongs to no tenant yet — devices that connected
// unregistered, with their IMEIs and addresses, which no tenant's admin
// may see (another tenant's hardware). Stored and signed by RoleName.
enum class Role { kAdmin, kViewer, kOperator };

std::string_view RoleName(Role role);                     // "admin", "viewer", "operator"
std::optional<Role> RoleFromName(std::string_view name);  // exactly those names
inline bool ManagesTenant(Role role) { return role == Role::kAdmin || role == Role::kOperator; }

struct User {
  int64_t id = 0;
  int64_t tenant_id = 0;
  std::string email;
  std::string password_hash;  // encoded by api/password.h; never the password
  Role role = Role::kViewer;
};

// A device that connected with a uid no tenant has registered.
struct PendingDevice {
  std::string uid;
  std::string protocol;
  std::string remote_address;
  TimestampMs first_seen = 0;
  TimestampMs last_seen = 0;
  int64_t attempts = 0;
};

struct PositionQuery {
  int64_t tenant_id = 0;
  std::string device_uid;
  std::optional<TimestampMs> from;   // inclusive, fix time
  std::optional<TimestampMs> to;     // exclusive, fix time
  std::optional<TimestampMs> after;  // cursor: fix time of the last row already returned
  int limit = 1000;
};

struct PositionPage {
  std::vector<Message> positions;  // in fix-time order
  std::optional<TimestampMs> next; // cursor for the following page, if there may be one
};

struct WriteStats {
  int64_t positions_written = 0;  // new rows
  int64_t duplicates = 0;         // already stored: ignored
  int64_t events_written = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- messages (the consumer's durable write) ---
  // Writes the batch in one transaction; when this returns ok the rows are
  // durable. Messages with a fix time go to positions; alarms also become
  // events. Messages without a fix time are not stored (live state keeps them).
  // (A store spread over several databases, RoutedPostgresStore, writes one
  // transaction per database; a failed call may have stored some of them,
  // which the idempotent retry then skips.)
  virtual Result<WriteStats> WriteBatch(std::span<const Envelope> batch) = 0;
  // Like WriteBatch (one transaction, durable on ok, the same rows), except
  // that a stored row with the same key — positions (device, fix time),
  // events (device, fix time, type) — is replaced by the batch's, instead of
  // being kept. For `fleetd replay`: rewriting a window from the queue
  // repairs rows a buggy consumer wrote, and writes no duplicates. Of two
  // envelopes with one key in the batch the first counts, as in WriteBatch.
  // positions_written counts rows inserted or replaced (duplicates stays 0
  // but for such in-batch repeats); events_written likewise.
  virtual Result<WriteStats> RewriteBatch(std::span<const Envelope> batch) = 0;

  virtual Result<PositionPage> QueryPositions(const PositionQuery& query) = 0;
  // The latest stored position of every device of the tenant (cold start of live state).
  virtual Result<std::vector<Envelope>> LatestPositions(std::optional<int64_t> tenant_id) = 0;

  // --- tenants, devices, users (administration) ---
  virtual Result<Tenant> AddTenant(const std::string& name) = 0;
  virtual Result<Tenant> FindTenant(const std::string& name) = 0;
  virtual Result<Tenant> FindTenantById(int64_t id) = 0;
  virtual Result<Device> AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) = 0;
  // Across tenants: a device uid is globally unique (it is what the hardware sends).
  virtual Result<Device> FindDeviceByUid(const std::string& uid) = 0;
  virtual Result<std::vector<Device>> ListDevices(int64_t tenant_id) = 0;
  // Changes the given settings of a device (absent ones stay). kNotFound if
  // no device has the uid. Listeners pick the change up on the device's next
  // connection once their 30 s device cache has expired (DeviceDirectory).
  virtual Result<Device> UpdateDeviceSettings(const std::string& uid, const DeviceSettings& settings) = 0;
  // Unregisters a device: FindDeviceByUid no longer finds it, so listeners
  // stop accepting it once their device cache expires (and its MQTT
  // credentials are revoked by the caller). Its stored history stays, under
  // the tenant it belonged to. kNotFound if no device has the uid.
  virtual Status RemoveDevice(const std::string& uid) = 0;
  virtual Result<User> AddUser(const User& user) = 0;
  virtual Result<User> FindUserByEmail(const std::string& email) = 0;

  // --- devices nobody has registered yet ---
  virtual Status RecordPending(const PendingDevice& seen) = 0;
  virtual Result<std::vector<PendingDevice>> ListPending() = 0;
  // Forgets a pending uid (AddDevice also does this). kNotFound if absent.
  virtual Status RemovePending(const std::string& uid) = 0;
};

}  // namespace fleetd
