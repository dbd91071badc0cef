// SqliteStore administration: tenants, devices, users and pending devices.
// Constraint violations map to typed codes (UNIQUE -> kAlreadyExists, FOREIGN
// KEY -> kNotFound) so the CLI and API can answer without parsing messages.
#include <utility>

#include "core/time_util.h"
#include "store/sqlite/sqlite_store.h"

namespace fleetd {

using sqlite::ResetOnExit;
using sqlite::Statement;

namespace {

Status Invalid(const char* what) {
  return Status(StatusCode::kInvalidArgument, std::string(what) + " must not be empty");
}

// Steps an INSERT; maps constraint failures to what the caller should see.
Status StepInsert(sqlite3* db, Statement& s, const std::string& duplicate,
                  const std::string& missing_tenant) {
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Status(StatusCode::kAlreadyExists, duplicate);
  }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Status(StatusCode::kNotFound, missing_tenant);
  return sqlite::Error(db, "insert");
}

// The CHECK constraint admits only RoleName's names; anything else reads as
// the least privilege.
Role ParseRole(std::string_view name) { return RoleFromName(name).value_or(Role::kViewer); }

Device ReadDevice(const Statement& s) {
  return Device{s.Int64(0), s.Int64(1), s.Text(2), s.Text(3), s.Int64(4), s.Text(5), s.Int64(6) != 0};
}
User ReadUser(const Statement& s) {
  return User{s.Int64(0), s.Int64(1), s.Text(2), s.Text(3), ParseRole(s.TextView(4))};
}

}  // namespace

Result<Tenant> SqliteStore::AddTenant(const std::string& name) {
  if (name.empty()) return Invalid("tenant name");
  std::lock_guard lock(mu_);
  auto stmt = Prepare("INSERT INTO tenants (name) VALUES (?1)");
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset(**stmt);
  (*stmt)->Bind(1, name);
  if (Status s = StepInsert(db_, **stmt, "tenant '" + name + "' already exists", ""); !s.ok()) return s;
  return Tenant{sqlite3_last_insert_rowid(db_), name};
}

Result<Tenant> SqliteStore::FindTenant(const std::string& name) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare("SELECT id, name FROM tenants WHERE name = ?1");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, name);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return Tenant{s.Int64(0), s.Text(1)};
  if (rc == SQLITE_DONE) return Status(StatusCode::kNotFound, "tenant '" + name + "' not found");
  return sqlite::Error(db_, "find tenant");
}

Result<Tenant> SqliteStore::FindTenantById(int64_t id) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare("SELECT id, name FROM tenants WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, id);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return Tenant{s.Int64(0), s.Text(1)};
  if (rc == SQLITE_DONE) return Status(StatusCode::kNotFound, "tenant " + std::to_string(id) + " not found");
  return sqlite::Error(db_, "find tenant");
}

Result<Device> SqliteStore::AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) {
  if (uid.empty()) return Invalid("device uid");
  if (name.empty()) return Invalid("device name");
  const TimestampMs now = NowMs();
  std::lock_guard lock(mu_);
  if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Status status = [&]() -> Status {
    auto insert = Prepare("INSERT INTO devices (tenant_id, uid, name, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!insert.ok()) return insert.status();
    Statement& s = **insert;
    ResetOnExit reset(s);
    s.Bind(1, tenant_id);
    s.Bind(2, uid);
    s.Bind(3, name);
    s.Bind(4, now);
    Status st = StepInsert(db_, s, "device '" + uid + "' already exists",
                           "tenant " + std::to_string(tenant_id) + " not found");
    if (!st.ok()) return st;
    auto remove = Prepare("DELETE FROM pending_devices WHERE uid = ?1");
    if (!remove.ok()) return remove.status();
    (*remove)->Bind(1, uid);
    return (*remove)->Run("remove pending");
  }();
  int64_t id = sqlite3_last_insert_rowid(db_);
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  return Device{id, tenant_id, uid, name, now, "", false};
}

Result<Device> SqliteStore::FindDeviceByUid(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare("SELECT id, tenant_id, uid, name, created_at, model, lenient FROM devices"
                      " WHERE uid = ?1 AND removed_at IS NULL");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, uid);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadDevice(s);
  if (rc == SQLITE_DONE) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  return sqlite::Error(db_, "find device");
}

Result<Device> SqliteStore::UpdateDeviceSettings(const std::string& uid, const DeviceSettings& settings) {
  {
    std::lock_guard lock(mu_);
    auto stmt = Prepare(
        "UPDATE devices SET model = COALESCE(?2, model), lenient = COALESCE(?3, lenient)"
        " WHERE uid = ?1 AND removed_at IS NULL");
    if (!stmt.ok()) return stmt.status();
    Statement& s = **stmt;
    ResetOnExit reset(s);
    s.Bind(1, uid);
    s.BindOptionalText(2, settings.model);
    s.Bind(3, settings.lenient ? std::optional<int64_t>(*settings.lenient ? 1 : 0) : std::nullopt);
    if (s.Step() != SQLITE_DONE) return sqlite::Error(db_, "update device settings");
    if (sqlite3_changes(db_) == 0) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  }
  return FindDeviceByUid(uid);
}

Status SqliteStore::RemoveDevice(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare("UPDATE devices SET removed_at = ?2 WHERE uid = ?1 AND removed_at IS NULL");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, uid);
  s.Bind(2, NowMs());
  if (s.Step() != SQLITE_DONE) return sqlite::Error(db_, "remove device");
  if (sqlite3_changes(db_) == 0) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  return Status();
}

Result<std::vector<Device>> SqliteStore::ListDevices(int64_t tenant_id) {
  std::lock_guard lock(mu_);
  auto stmt =
      Prepare("SELECT id, tenant_id, uid, name, created_at, model, lenient FROM devices"
              " WHERE tenant_id = ?1 AND removed_at IS NULL ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, tenant_id);
  std::vector<Device> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadDevice(s));
  if (rc != SQLITE_DONE) return sqlite::Error(db_, "list devices");
  return out;
}

Result<User> SqliteStore::AddUser(const User& user) {
  if (user.email.empty()) return Invalid("email");
  if (user.password_hash.empty()) return Invalid("password hash");
  std::lock_guard lock(mu_);
  auto stmt = Prepare("INSERT INTO users (tenant_id, email, password_hash, role) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, user.tenant_id);
  s.Bind(2, user.email);
  s.Bind(3, user.password_hash);
  s.Bind(4, RoleName(user.role));
  Status st = StepInsert(db_, s, "user '" + user.email + "' already exists",
                         "tenant " + std::to_string(user.tenant_id) + " not found");
  if (!st.ok()) return st;
  User added = user;
  added.id = sqlite3_last_insert_rowid(db_);
  return added;
}

Result<User> SqliteStore::FindUserByEmail(const std::string& email) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare("SELECT id, tenant_id, email, password_hash, role FROM users WHERE email = ?1");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  s.Bind(1, email);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadUser(s);
  if (rc == SQLITE_DONE) return Status(StatusCode::kNotFound, "user '" + email + "' not found");
  return sqlite::Error(db_, "find user");
}

Status SqliteStore::RecordPending(const PendingDevice& seen) {
  if (seen.uid.empty()) return Invalid("pending uid");
  const TimestampMs last = seen.last_seen != 0 ? seen.last_seen : NowMs();
  const TimestampMs first = seen.first_seen != 0 ? seen.first_seen : last;
  std::lock_guard lock(mu_);
  auto stmt = Prepare(
      "INSERT INTO pending_devices (uid, protocol, remote_address, first_seen, last_seen, attempts)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
      " ON CONFLICT (uid) DO UPDATE SET protocol = excluded.protocol,"
      "   remote_address = excluded.remote_address,"
      "   first_seen = min(first_seen, excluded.first_seen),"
      "   last_seen = max(last_seen, excluded.last_seen), attempts = attempts + 1");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  s.Bind(1, seen.uid);
  s.Bind(2, seen.protocol);
  s.Bind(3, seen.remote_address);
  s.Bind(4, first);
  s.Bind(5, last);
  s.Bind(6, std::max<int64_t>(seen.attempts, 1));
  return s.Run("record pending");
}

Result<std::vector<PendingDevice>> SqliteStore::ListPending() {
  std::lock_guard lock(mu_);
  auto stmt = Prepare(
      "SELECT uid, protocol, remote_address, first_seen, last_seen, attempts FROM pending_devices"
      " ORDER BY last_seen DESC, uid");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  ResetOnExit reset(s);
  std::vector<PendingDevice> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(PendingDevice{s.Text(0), s.Text(1), s.Text(2), s.Int64(3), s.Int64(4), s.Int64(5)});
  }
  if (rc != SQLITE_DONE) return sqlite::Error(db_, "list pending");
  return out;
}

Status SqliteStore::RemovePending(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare("DELETE FROM pending_devices WHERE uid = ?1");
  if (!stmt.ok()) return stmt.status();
  (*stmt)->Bind(1, uid);
  if (Status s = (*stmt)->Run("remove pending"); !s.ok()) return s;
  if (sqlite3_changes(db_) == 0)
    return Status(StatusCode::kNotFound, "pending device '" + uid + "' not found");
  return Status::Ok();
}

}  // namespace fleetd
