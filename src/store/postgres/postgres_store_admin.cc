// PostgresStore administration: tenants, devices, users and pending devices.
// Constraint violations arrive as typed codes (pg_error.h: unique ->
// kAlreadyExists, foreign key -> kNotFound) and get messages naming the
// value, so the CLI and API can answer without parsing server text.
#include <algorithm>
#include <utility>

#include "core/time_util.h"
#include "store/postgres/pg_transaction.h"
#include "store/postgres/postgres_store.h"

namespace fleetd {

using pg::Connection;
using pg::Params;
using pg::Transaction;

namespace {

constexpr const char* kDeviceColumns = "id, tenant_id, uid, name, created_at, model, lenient";

Status Invalid(const char* what) {
  return Status(StatusCode::kInvalidArgument, std::string(what) + " must not be empty");
}

// Keeps the code, replaces the message for the cases callers act on.
Status Explain(const Status& s, const std::string& duplicate, const std::string& missing_tenant) {
  if (s.code() == StatusCode::kAlreadyExists) return Status(s.code(), duplicate);
  if (s.code() == StatusCode::kNotFound && !missing_tenant.empty()) return Status(s.code(), missing_tenant);
  return s;
}

// The CHECK constraint admits only RoleName's names; anything else reads as
// the least privilege.
Role ParseRole(std::string_view name) { return RoleFromName(name).value_or(Role::kViewer); }

Device ReadDevice(const pg::QueryResult& r, int row) {
  return Device{r.Int64(row, 0), r.Int64(row, 1),  r.String(row, 2), r.String(row, 3),
                r.Int64(row, 4), r.String(row, 5), r.Bool(row, 6)};
}

User ReadUser(const pg::QueryResult& r, int row) {
  return User{r.Int64(row, 0), r.Int64(row, 1), r.String(row, 2), r.String(row, 3), ParseRole(r.Bytes(row, 4))};
}

std::string Sql(const char* head, const char* tail = "") { return std::string(head) + kDeviceColumns + tail; }

}  // namespace

Result<Tenant> PostgresStore::AddTenant(const std::string& name) {
  if (name.empty()) return Invalid("tenant name");
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec("INSERT INTO tenants (name) VALUES ($1) RETURNING id", Params().Text(name), "add tenant");
  if (!r.ok()) return Explain(r.status(), "tenant '" + name + "' already exists", "");
  return Tenant{r->Int64(0, 0), name};
}

Result<Tenant> PostgresStore::FindTenant(const std::string& name) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec("SELECT id, name FROM tenants WHERE name = $1", Params().Text(name), "find tenant");
  // A name the server cannot even hold (NUL, bad UTF-8) names no tenant.
  if (!r.ok() && r.status().code() != StatusCode::kInvalidArgument) return r.status();
  if (!r.ok() || r->rows() == 0) return Status(StatusCode::kNotFound, "tenant '" + name + "' not found");
  return Tenant{r->Int64(0, 0), r->String(0, 1)};
}

Result<Tenant> PostgresStore::FindTenantById(int64_t id) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  // Under the tenant's own setting: the API role may read that tenant's row.
  Transaction txn(conn);
  if (options_.role == pg::StoreRole::kApi) {
    if (Status s = txn.Begin(/*read_only=*/true); !s.ok()) return s;
    if (Status s = txn.SetTenant(id); !s.ok()) return s;
  }
  auto r = conn.Exec("SELECT id, name FROM tenants WHERE id = $1", Params().Int64(id), "find tenant");
  if (!r.ok()) return r.status();
  if (options_.role == pg::StoreRole::kApi) {
    if (Status s = txn.Commit(); !s.ok()) return s;
  }
  if (r->rows() == 0) return Status(StatusCode::kNotFound, "tenant " + std::to_string(id) + " not found");
  return Tenant{r->Int64(0, 0), r->String(0, 1)};
}

Result<int64_t> PostgresStore::TenantIdByName(const std::string& name) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  // The API role sees no tenant row before it has set one; it asks the
  // owner's function, for exactly this name (pg_schema.cc).
  auto r = options_.role == pg::StoreRole::kApi
               ? (*lease)->Exec("SELECT id FROM fleetd_tenant_id($1) AS t (id) WHERE id IS NOT NULL",
                                Params().Text(name), "find tenant")
               : (*lease)->Exec("SELECT id FROM tenants WHERE name = $1", Params().Text(name), "find tenant");
  if (!r.ok() && r.status().code() != StatusCode::kInvalidArgument) return r.status();
  if (!r.ok() || r->rows() == 0) return Status(StatusCode::kNotFound, "tenant '" + name + "' not found");
  return r->Int64(0, 0);
}

Result<Device> PostgresStore::AddDevice(int64_t tenant_id, const std::string& uid, const std::string& name) {
  if (uid.empty()) return Invalid("device uid");
  if (name.empty()) return Invalid("device name");
  const TimestampMs now = NowMs();
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  Transaction txn(conn);
  if (Status s = txn.Begin(); !s.ok()) return s;
  if (Status s = txn.SetTenant(tenant_id); !s.ok()) return s;
  auto r = conn.Exec("INSERT INTO devices (tenant_id, uid, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                     Params().Int64(tenant_id).Bytea(uid).Text(name).Int64(now), "add device");
  if (!r.ok()) {
    return Explain(r.status(), "device '" + uid + "' already exists",
                   "tenant " + std::to_string(tenant_id) + " not found");
  }
  if (auto d = conn.Exec("DELETE FROM pending_devices WHERE uid = $1", Params().Bytea(uid), "remove pending");
      !d.ok()) {
    return d.status();
  }
  if (Status s = txn.Commit(); !s.ok()) return s;
  return Device{r->Int64(0, 0), tenant_id, uid, name, now, "", false};
}

Result<Device> PostgresStore::FindDeviceByUid(const std::string& uid) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  // The API role reads devices only under a tenant; before it knows one it
  // asks the owner's function, for exactly this uid (pg_schema.cc).
  auto r = options_.role == pg::StoreRole::kApi
               ? (*lease)->Exec(Sql("SELECT ", " FROM fleetd_find_device($1)").c_str(), Params().Bytea(uid),
                                "find device")
               : (*lease)->Exec(Sql("SELECT ", " FROM devices WHERE uid = $1 AND removed_at IS NULL").c_str(),
                                Params().Bytea(uid), "find device");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  return ReadDevice(*r, 0);
}

Result<std::vector<Device>> PostgresStore::ListDevices(int64_t tenant_id) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  Transaction txn(conn);
  if (Status s = txn.Begin(/*read_only=*/true); !s.ok()) return s;
  if (Status s = txn.SetTenant(tenant_id); !s.ok()) return s;
  auto r = conn.Exec(Sql("SELECT ", " FROM devices WHERE tenant_id = $1 AND removed_at IS NULL ORDER BY id").c_str(),
                     Params().Int64(tenant_id), "list devices");
  if (!r.ok()) return r.status();
  if (Status s = txn.Commit(); !s.ok()) return s;
  std::vector<Device> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(ReadDevice(*r, i));
  return out;
}

Result<Device> PostgresStore::UpdateDeviceSettings(const std::string& uid, const DeviceSettings& settings) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec(Sql("UPDATE devices SET model = COALESCE($2, model), lenient = COALESCE($3, lenient)"
                              " WHERE uid = $1 AND removed_at IS NULL RETURNING ")
                              .c_str(),
                          Params().Bytea(uid).OptionalText(settings.model).OptionalBool(settings.lenient),
                          "update device settings");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  return ReadDevice(*r, 0);
}

Status PostgresStore::RemoveDevice(const std::string& uid) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec("UPDATE devices SET removed_at = $2 WHERE uid = $1 AND removed_at IS NULL",
                          Params().Bytea(uid).Int64(NowMs()), "remove device");
  if (!r.ok()) return r.status();
  if (r->affected() == 0) return Status(StatusCode::kNotFound, "device '" + uid + "' not found");
  return Status::Ok();
}

Result<User> PostgresStore::AddUser(const User& user) {
  if (user.email.empty()) return Invalid("email");
  if (user.password_hash.empty()) return Invalid("password hash");
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  Connection& conn = **lease;
  Transaction txn(conn);
  if (Status s = txn.Begin(); !s.ok()) return s;
  if (Status s = txn.SetTenant(user.tenant_id); !s.ok()) return s;
  auto r = conn.Exec("INSERT INTO users (tenant_id, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id",
                     Params().Int64(user.tenant_id).Text(user.email).Text(user.password_hash).Text(RoleName(user.role)),
                     "add user");
  if (!r.ok()) {
    return Explain(r.status(), "user '" + user.email + "' already exists",
                   "tenant " + std::to_string(user.tenant_id) + " not found");
  }
  if (Status s = txn.Commit(); !s.ok()) return s;
  User added = user;
  added.id = r->Int64(0, 0);
  return added;
}

Result<User> PostgresStore::FindUserByEmail(const std::string& email) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  // The API role cannot read password_hash; the login check gets the one
  // user of this exact email from the owner's function (pg_schema.cc).
  auto r = options_.role == pg::StoreRole::kApi
               ? (*lease)->Exec("SELECT id, tenant_id, email, password_hash, role FROM fleetd_login_lookup($1)",
                                Params().Text(email), "find user")
               : (*lease)->Exec(
                     "SELECT id, tenant_id, email, password_hash, role FROM users"
                     " WHERE lower(email COLLATE \"C\") = lower($1 COLLATE \"C\")",
                     Params().Text(email), "find user");
  if (!r.ok() && r.status().code() != StatusCode::kInvalidArgument) return r.status();
  if (!r.ok() || r->rows() == 0) return Status(StatusCode::kNotFound, "user '" + email + "' not found");
  return ReadUser(*r, 0);
}

Status PostgresStore::RecordPending(const PendingDevice& seen) {
  if (seen.uid.empty()) return Invalid("pending uid");
  const TimestampMs last = seen.last_seen != 0 ? seen.last_seen : NowMs();
  const TimestampMs first = seen.first_seen != 0 ? seen.first_seen : last;
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec(
      "INSERT INTO pending_devices (uid, protocol, remote_address, first_seen, last_seen, attempts)"
      " VALUES ($1, $2, $3, $4, $5, $6)"
      " ON CONFLICT (uid) DO UPDATE SET protocol = excluded.protocol,"
      "   remote_address = excluded.remote_address,"
      "   first_seen = LEAST(pending_devices.first_seen, excluded.first_seen),"
      "   last_seen = GREATEST(pending_devices.last_seen, excluded.last_seen),"
      "   attempts = pending_devices.attempts + 1",
      Params()
          .Bytea(seen.uid)
          .Text(seen.protocol)
          .Text(seen.remote_address)
          .Int64(first)
          .Int64(last)
          .Int64(std::max<int64_t>(seen.attempts, 1)),
      "record pending");
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<PendingDevice>> PostgresStore::ListPending() {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec(
      "SELECT uid, protocol, remote_address, first_seen, last_seen, attempts FROM pending_devices"
      " ORDER BY last_seen DESC, uid",
      "list pending");
  if (!r.ok()) return r.status();
  std::vector<PendingDevice> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(PendingDevice{r->String(i, 0), r->String(i, 1), r->String(i, 2), r->Int64(i, 3), r->Int64(i, 4),
                                r->Int64(i, 5)});
  }
  return out;
}

Status PostgresStore::RemovePending(const std::string& uid) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  auto r = (*lease)->Exec("DELETE FROM pending_devices WHERE uid = $1", Params().Bytea(uid), "remove pending");
  if (!r.ok()) return r.status();
  if (r->affected() == 0) return Status(StatusCode::kNotFound, "pending device '" + uid + "' not found");
  return Status::Ok();
}

}  // namespace fleetd
