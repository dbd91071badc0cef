#include "app/admin_commands.h"

#include <ostream>

#include <nlohmann/json.hpp>

#include "api/jwt.h"
#include "api/password.h"
#include "app/adapters.h"
#include "app/mqtt_access.h"
#include "app/secrets.h"
#include "core/time_util.h"

namespace fleetd {
namespace {

// Names come from the command line and may be any bytes: never throw on them.
std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

int Fail(std::ostream& err, const Status& s) {
  err << "error: " << s.ToString() << "\n";
  return 1;
}

Result<Role> ParseRole(const std::string& text) {
  if (auto role = RoleFromName(text)) return *role;
  return Status(StatusCode::kInvalidArgument, "role must be admin, viewer or operator, got '" + text + "'");
}

}  // namespace

int TenantAdd(Store& store, const std::string& name, std::ostream& out, std::ostream& err) {
  auto t = store.AddTenant(name);
  if (!t.ok()) return Fail(err, t.status());
  out << Dump(nlohmann::json{{"id", t->id}, {"name", t->name}}) << "\n";
  return 0;
}

int DeviceAdd(Store& store, const Config& config, const DeviceAddArgs& args, std::ostream& out, std::ostream& err) {
  auto t = store.FindTenant(args.tenant);
  if (!t.ok()) return Fail(err, t.status());
  if (!config.mqtt_url.empty() && !mqtt::IsMqttSafeUid(args.uid)) {
    return Fail(err, Status(StatusCode::kInvalidArgument,
                            "uid '" + args.uid + "' cannot be an MQTT user name (no + # / $ or spaces)"));
  }
  auto d = store.AddDevice(t->id, args.uid, args.name.empty() ? args.uid : args.name);
  if (!d.ok()) return Fail(err, d.status());
  // With a broker configured, the device gets its MQTT credentials now; if
  // the broker cannot take them the registration is undone, so a retry
  // starts clean instead of leaving a device that cannot connect.
  auto secret = ProvisionDeviceCredentials(config, args.uid);
  if (!secret.ok()) {
    (void)store.RemoveDevice(args.uid);
    return Fail(err, Status(secret.status().code(), "MQTT credentials not provisioned, device not added: " +
                                                        secret.status().message()));
  }
  if (!args.model.empty() || args.lenient) {
    DeviceSettings settings;
    if (!args.model.empty()) settings.model = args.model;
    if (args.lenient) settings.lenient = true;
    d = store.UpdateDeviceSettings(args.uid, settings);
    if (!d.ok()) return Fail(err, d.status());
  }
  nlohmann::json result{{"id", d->id},     {"tenant", t->name},   {"uid", d->uid},
                        {"name", d->name}, {"model", d->model},   {"lenient", d->lenient}};
  if (!secret->empty()) result["mqtt"] = {{"username", d->uid}, {"password", *secret}};
  out << Dump(result) << "\n";
  return 0;
}

int DeviceRemove(Store& store, const Config& config, const std::string& uid, std::ostream& out, std::ostream& err) {
  auto d = store.FindDeviceByUid(uid);
  if (!d.ok()) return Fail(err, d.status());
  // Revoke first: a device that keeps its broker login after removal would
  // keep publishing into a void.
  if (Status s = RevokeDeviceCredentials(config, uid); !s.ok()) {
    return Fail(err, Status(s.code(), "MQTT credentials not revoked, device kept: " + s.message()));
  }
  if (Status s = store.RemoveDevice(uid); !s.ok()) return Fail(err, s);
  nlohmann::json result{{"uid", uid}, {"removed", true}};
  // A shared live state (Redis) is reachable from here: its last position
  // goes too, instead of staying in Redis for good. The API shows registered
  // devices only either way, so a failure here is a warning, not an error;
  // an embedded (in-process) live state forgets it with the process.
  if (config.live_url.starts_with("redis://")) {
    Status forgot = ForgetLiveDevice(config.live_url, d->tenant_id, uid);
    result["live_forgotten"] = forgot.ok();
    if (!forgot.ok()) err << "warning: the device is removed, but its live position is not: " << forgot.message() << "\n";
  }
  out << Dump(result) << "\n";
  return 0;
}

int DeviceCredentials(Store& store, const Config& config, const std::string& uid, std::ostream& out,
                      std::ostream& err) {
  if (config.mqtt_url.empty()) {
    return Fail(err, Status(StatusCode::kInvalidArgument, "no MQTT broker configured (--mqtt)"));
  }
  if (auto d = store.FindDeviceByUid(uid); !d.ok()) return Fail(err, d.status());
  auto secret = ProvisionDeviceCredentials(config, uid);
  if (!secret.ok()) return Fail(err, secret.status());
  out << Dump(nlohmann::json{{"uid", uid}, {"mqtt", {{"username", uid}, {"password", *secret}}}}) << "\n";
  return 0;
}

int DeviceSet(Store& store, const DeviceSetArgs& args, std::ostream& out, std::ostream& err) {
  if (!args.model && !args.lenient) {
    return Fail(err, Status(StatusCode::kInvalidArgument, "nothing to set: give --model and/or --lenient"));
  }
  auto d = store.UpdateDeviceSettings(args.uid, DeviceSettings{args.model, args.lenient});
  if (!d.ok()) return Fail(err, d.status());
  out << Dump(nlohmann::json{{"uid", d->uid}, {"model", d->model}, {"lenient", d->lenient}}) << "\n";
  return 0;
}

int DeviceList(Store& store, const std::string& tenant, std::ostream& out, std::ostream& err) {
  auto t = store.FindTenant(tenant);
  if (!t.ok()) return Fail(err, t.status());
  auto devices = store.ListDevices(t->id);
  if (!devices.ok()) return Fail(err, devices.status());
  for (const auto& d : *devices) {
    out << Dump(nlohmann::json{{"uid", d.uid},
                          {"name", d.name},
                          {"created_at", FormatIso8601(d.created_at)},
                          {"model", d.model},
                          {"lenient", d.lenient}})
        << "\n";
  }
  return 0;
}

int DevicePending(Store& store, std::ostream& out, std::ostream& err) {
  auto pending = store.ListPending();
  if (!pending.ok()) return Fail(err, pending.status());
  for (const auto& p : *pending) {
    out << Dump(nlohmann::json{{"uid", p.uid},
                          {"protocol", p.protocol},
                          {"remote_address", p.remote_address},
                          {"first_seen", FormatIso8601(p.first_seen)},
                          {"last_seen", FormatIso8601(p.last_seen)},
                          {"attempts", p.attempts}})
        << "\n";
  }
  return 0;
}

int UserAdd(Store& store, const UserAddArgs& args, std::ostream& out, std::ostream& err) {
  auto t = store.FindTenant(args.tenant);
  if (!t.ok()) return Fail(err, t.status());
  auto role = ParseRole(args.role);
  if (!role.ok()) return Fail(err, role.status());
  if (args.password.size() < 8) {
    return Fail(err, Status(StatusCode::kInvalidArgument, "password must be at least 8 characters"));
  }
  auto hash = api::HashPassword(args.password);
  if (!hash.ok()) return Fail(err, hash.status());
  User user;
  user.tenant_id = t->id;
  user.email = args.email;
  user.password_hash = *hash;
  user.role = *role;
  auto added = store.AddUser(user);
  if (!added.ok()) return Fail(err, added.status());
  out << Dump(nlohmann::json{{"id", added->id}, {"tenant", t->name}, {"email", added->email}, {"role", args.role}})
      << "\n";
  return 0;
}

Result<std::string> MakeTenantToken(Store& store, const Config& config, const std::string& tenant,
                                    const std::string& role, int64_t ttl_s) {
  auto t = store.FindTenant(tenant);
  if (!t.ok()) return t.status();
  auto r = ParseRole(role);
  if (!r.ok()) return r.status();
  if (ttl_s == 0) ttl_s = config.token_ttl_s;
  if (ttl_s < 1 || ttl_s > 10LL * 366 * 24 * 3600) {
    return Status(StatusCode::kInvalidArgument, "ttl must be between 1 s and 10 years");
  }
  auto secret = LoadOrCreateJwtSecret(config);
  if (!secret.ok()) return secret.status();
  api::JwtClaims claims;
  claims.subject = "token";
  claims.tenant_id = t->id;
  claims.tenant_name = t->name;
  claims.role = *r;
  claims.issued_at = NowMs() / 1000;
  claims.expires_at = claims.issued_at + ttl_s;
  return api::SignJwt(claims, *secret);
}

int TokenCreate(Store& store, const Config& config, const TokenArgs& args, std::ostream& out, std::ostream& err) {
  auto token = MakeTenantToken(store, config, args.tenant, args.role, args.ttl_s);
  if (!token.ok()) return Fail(err, token.status());
  out << *token << "\n";
  return 0;
}

}  // namespace fleetd
