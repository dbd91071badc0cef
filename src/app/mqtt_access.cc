#include "app/mqtt_access.h"

#include <unistd.h>

#include "listen/mqtt/broker_url.h"

namespace fleetd {

Result<mqtt::BrokerAccess> BrokerAccessFromConfig(const Config& config) {
  auto client = mqtt::ParseBrokerUrl(config.mqtt_url);
  if (!client.ok()) return client.status();
  mqtt::BrokerAccess access;
  access.client = std::move(*client);
  access.client.ca_file = config.mqtt_ca_file;
  std::string id = config.mqtt_client_id;
  if (id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    id = std::string("fleetd-") + host;
  }
  access.client.connect.client_id = id;
  access.client.connect.clean_start = false;
  access.client.connect.session_expiry_s = static_cast<uint32_t>(config.mqtt_session_expiry_s);
  access.client.connect.receive_maximum = static_cast<uint16_t>(config.mqtt_receive_maximum);
  access.client.connect.keep_alive_s = 30;
  return access;
}

Result<std::string> ProvisionDeviceCredentials(const Config& config, const std::string& uid) {
  if (config.mqtt_url.empty()) return std::string();
  auto access = BrokerAccessFromConfig(config);
  if (!access.ok()) return access.status();
  access->client.connect.client_id.clear();  // the admin session gets its own id
  auto admin = mqtt::DynsecAdmin::Connect(*access);
  if (!admin.ok()) return admin.status();
  std::string secret = mqtt::NewDeviceSecret();
  if (Status s = (*admin)->ProvisionDevice(uid, secret); !s.ok()) return s;
  return secret;
}

Status RevokeDeviceCredentials(const Config& config, const std::string& uid) {
  if (config.mqtt_url.empty()) return Status::Ok();
  auto access = BrokerAccessFromConfig(config);
  if (!access.ok()) return access.status();
  access->client.connect.client_id.clear();
  auto admin = mqtt::DynsecAdmin::Connect(*access);
  if (!admin.ok()) return admin.status();
  return (*admin)->RevokeDevice(uid);
}

}  // namespace fleetd
