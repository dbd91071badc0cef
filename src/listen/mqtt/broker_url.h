// Where fleetd's MQTT broker is: mqtt://[user[:password]@]host[:port] or
// mqtts://... (TLS, default port 8883). User and password may be
// percent-encoded. A query string is not accepted: every other setting has
// its own config key, so a typo cannot hide in a URL.
#pragma once

#include <string>

#include "listen/mqtt/mqtt_client.h"

namespace fleetd::mqtt {

// Fills host, port, tls and the CONNECT username/password of a ClientOptions.
// kInvalidArgument with the reason for anything else.
Result<ClientOptions> ParseBrokerUrl(const std::string& url);

}  // namespace fleetd::mqtt
