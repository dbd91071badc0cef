// Administration against the configured store: tenants, devices, users,
// tokens. Safe while the server runs (SQLite WAL + busy timeout; the server
// sees a new device on that device's next connection).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "app/config.h"
#include "fleetd/store.h"

namespace fleetd {

struct DeviceAddArgs {
  std::string tenant, uid, name;
  std::string model;     // model-specific layouts ("" = protocol default)
  bool lenient = false;  // accept bad checksums / odd lengths from this device
};
struct DeviceSetArgs {
  std::string uid;
  std::optional<std::string> model;
  std::optional<bool> lenient;
};
struct UserAddArgs {
  std::string tenant, email, password, role = "admin";
};
struct TokenArgs {
  std::string tenant;
  int64_t ttl_s = 0;  // 0: the configured token_ttl
  std::string role = "admin";
};

// Each prints its result to `out` (JSON for what scripts read) and returns
// the process exit status; errors go to `err` with a non-zero status.
int TenantAdd(Store& store, const std::string& name, std::ostream& out, std::ostream& err);
// With an MQTT broker configured, DeviceAdd also provisions the device's
// broker credentials and prints them; DeviceRemove revokes them;
// DeviceCredentials issues a new secret (the old one stops working).
int DeviceAdd(Store& store, const Config& config, const DeviceAddArgs& args, std::ostream& out, std::ostream& err);
int DeviceRemove(Store& store, const Config& config, const std::string& uid, std::ostream& out, std::ostream& err);
int DeviceCredentials(Store& store, const Config& config, const std::string& uid, std::ostream& out,
                      std::ostream& err);
int DeviceSet(Store& store, const DeviceSetArgs& args, std::ostream& out, std::ostream& err);
int DeviceList(Store& store, const std::string& tenant, std::ostream& out, std::ostream& err);
int DevicePending(Store& store, std::ostream& out, std::ostream& err);
int UserAdd(Store& store, const UserAddArgs& args, std::ostream& out, std::ostream& err);
int TokenCreate(Store& store, const Config& config, const TokenArgs& args, std::ostream& out, std::ostream& err);

// The JWT a tenant admin would get; shared by `token` and the demo.
Result<std::string> MakeTenantToken(Store& store, const Config& config, const std::string& tenant,
                                    const std::string& role, int64_t ttl_s);

}  // namespace fleetd
