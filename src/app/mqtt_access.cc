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

Result<std::unique_ptr<mqtt::DynsecAdmin>> ConnectBrokerAdmin(mqtt::BrokerAccess access,
                                                             std::chrono::milliseconds timeout) {
  access.client.connect.client_id.clear();  // DynsecAdmin picks a fresh one
  return mqtt::DynsecAdmin::Connect(access, timeout);
}

Result<std::string> ProvisionDeviceCredentials(const Config& config, const std::string& uid) {
  if (config.mqtt_url.empty()) return std::string();
  auto access = BrokerAccessFromConfig(config);
  if (!access.ok()) return access.status();
  auto admin = ConnectBrokerAdmin(*access);
  if (!admin.ok()) return admin.status();
  std::string secret = mqtt::NewDeviceSecret();
  if (Status s = (*admin)->ProvisionDevice(uid, secret); !s.ok()) return s;
  return secret;
}

Status RevokeDeviceCredentials(const Config& config, const std::string& uid) {
  if (config.mqtt_url.empty()) return Status::Ok();
  auto access = BrokerAccessFromConfig(config);
  if (!access.ok()) return access.status();
  auto admin = ConnectBrokerAdmin(*access);
  if (!admin.ok()) return admin.status();
  return (*admin)->RevokeDevice(uid);
}

Result<std::pair<mqtt::ClientOptions, std::vector<std::pair<std::string, std::string>>>> ProvisionSimDevices(
    const std::string& url, uint64_t first_uid, int count) {
  if (url.empty()) return Status(StatusCode::kInvalidArgument, "sim --protocol mqtt needs --mqtt mqtt://admin:pw@host:port");
  auto broker = mqtt::ParseBrokerUrl(url);
  if (!broker.ok()) return broker.status();
  if (broker->connect.username.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "sim --protocol mqtt: --mqtt must carry the broker's dynsec admin user, to provision the devices");
  }
  mqtt::BrokerAccess access;
  access.client = *broker;
  auto admin = ConnectBrokerAdmin(access);
  if (!admin.ok()) return admin.status();
  std::vector<std::pair<std::string, std::string>> devices;
  for (int i = 0; i < count; ++i) {
    std::string uid = std::to_string(first_uid + static_cast<uint64_t>(i));
    std::string secret = mqtt::NewDeviceSecret();
    if (Status s = (*admin)->ProvisionDevice(uid, secret); !s.ok()) return s;
    devices.emplace_back(std::move(uid), std::move(secret));
  }
  return std::make_pair(*broker, std::move(devices));
}

}  // namespace fleetd
