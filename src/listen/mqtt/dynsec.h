// Dynsec: device credentials in Mosquitto's dynamic-security plugin.
//
// fleetd's device registry is the source of truth; the broker learns from it
// through the plugin's command topic ($CONTROL/dynamic-security/v1), so
// credentials change while the broker runs and on any host (no password file
// to rewrite, no reload). Each device gets a broker client named by its uid,
// a random secret, and its own role whose ACL allows publishing only under
// <root>/<uid>/ (not to the state and command topics fleetd itself writes)
// and subscribing only to its own command topic. Dynsec in Mosquitto 2.0
// does not substitute %u in ACLs (checked against 2.0.11), hence a role per
// device rather than one shared pattern role.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/metrics.h"
#include "listen/mqtt/mqtt_client.h"

namespace fleetd::mqtt {

struct BrokerAccess {
  ClientOptions client;           // host, port, TLS, and the admin username/password
  std::string topic_root = "fleet";
  std::string share_group = "fleetd";
};

// A blocking admin session (its own thread and connection), for the CLI and
// for start-up. Not for the data path.
class DynsecAdmin {
 public:
  // Connects; kUnauthenticated / kIoError within `timeout` if it cannot.
  static Result<std::unique_ptr<DynsecAdmin>> Connect(const BrokerAccess& access,
                                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~DynsecAdmin();

  // Sends {"commands": commands} and returns the "responses" array, in order.
  Result<nlohmann::json> Execute(const nlohmann::json& commands,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Makes sure the service role exists with fleetd's ACLs and that the admin
  // user holds it (fleetd subscribes and publishes as that user). Idempotent.
  Status EnsureServiceRole();
  // Creates (or, if it exists, resets the secret of) the device's broker client.
  Status ProvisionDevice(const std::string& uid, const std::string& secret);
  // Deletes the device's broker client and role; the broker disconnects it. A
  // device the broker does not know is not an error.
  Status RevokeDevice(const std::string& uid);

  static std::string DeviceRole(const std::string& uid) { return "fleetd-device-" + uid; }
  static constexpr const char* kServiceRole = "fleetd-service";

 private:
  DynsecAdmin() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  BrokerAccess access_;
};

// A uid can be an MQTT username and one topic level: no wildcards, no '/'.
bool IsMqttSafeUid(const std::string& uid);

// A new random device secret (24 bytes, URL-safe base64).
std::string NewDeviceSecret();

}  // namespace fleetd::mqtt
