// How the app reaches its MQTT broker: config -> broker access, shared by
// `fleetd run` (the bridge and state publisher) and the admin commands that
// provision device credentials.
#pragma once

#include "app/config.h"
#include "listen/mqtt/dynsec.h"

namespace fleetd {

// The broker access for `config.mqtt_url` (which must be set), with the
// persistent-session settings fleetd runs with.
Result<mqtt::BrokerAccess> BrokerAccessFromConfig(const Config& config);

// Provisions `uid`'s broker credentials when an MQTT broker is configured;
// returns the secret, or "" when there is no broker to provision.
Result<std::string> ProvisionDeviceCredentials(const Config& config, const std::string& uid);
// Revokes them (no-op without a broker).
Status RevokeDeviceCredentials(const Config& config, const std::string& uid);

}  // namespace fleetd
