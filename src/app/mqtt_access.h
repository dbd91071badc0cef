// How the app reaches its MQTT broker: config -> broker access, shared by
// `fleetd run` (the bridge and state publisher) and the admin commands that
// provision device credentials.
#pragma once

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "app/config.h"
#include "listen/mqtt/dynsec.h"

namespace fleetd {

// The broker access for `config.mqtt_url` (which must be set), with the
// persistent-session settings fleetd runs with.
Result<mqtt::BrokerAccess> BrokerAccessFromConfig(const Config& config);

// An admin session (dynamic security) on the broker of `access`, under a
// client id of its own so it never takes over the bridge's session.
Result<std::unique_ptr<mqtt::DynsecAdmin>> ConnectBrokerAdmin(mqtt::BrokerAccess access,
                                                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Provisions `uid`'s broker credentials when an MQTT broker is configured;
// returns the secret, or "" when there is no broker to provision.
Result<std::string> ProvisionDeviceCredentials(const Config& config, const std::string& uid);
// Revokes them (no-op without a broker).
Status RevokeDeviceCredentials(const Config& config, const std::string& uid);

// For `fleetd sim --protocol mqtt`: broker access from `url` (which must
// carry the dynsec admin's credentials) and a fresh secret provisioned for
// each simulated uid first_uid .. first_uid + count - 1.
Result<std::pair<mqtt::ClientOptions, std::vector<std::pair<std::string, std::string>>>> ProvisionSimDevices(
    const std::string& url, uint64_t first_uid, int count);

}  // namespace fleetd
