#include "listen/mqtt/dynsec.h"

#include <openssl/rand.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

namespace fleetd::mqtt {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {
constexpr const char* kCommandTopic = "$CONTROL/dynamic-security/v1";
constexpr const char* kResponseTopic = "$CONTROL/dynamic-security/v1/response";

Json Acl(const char* type, const std::string& topic, bool allow, int priority = 0) {
  return Json{{"acltype", type}, {"topic", topic}, {"allow", allow}, {"priority", priority}};
}

// "already exists"/"not found" answers are what idempotent callers expect.
bool ErrorIs(const Json& response, std::string_view what) {
  auto it = response.find("error");
  return it != response.end() && it->is_string() && it->get<std::string>().find(what) != std::string::npos;
}

Status CheckAll(const Result<Json>& responses, std::initializer_list<std::string_view> tolerated) {
  if (!responses.ok()) return responses.status();
  for (const Json& r : *responses) {
    if (!r.contains("error")) continue;
    bool ok = false;
    for (auto t : tolerated) ok = ok || ErrorIs(r, t);
    if (!ok) {
      return Status(StatusCode::kIoError, "dynamic-security " + r.value("command", std::string("command")) + ": " +
                                              r["error"].dump());
    }
  }
  return Status::Ok();
}
}  // namespace

struct DynsecAdmin::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  Metrics metrics;  // the admin session's own; nobody scrapes it
  std::shared_ptr<Client> client;
  std::thread thread;

  std::mutex mu;
  std::condition_variable cv;
  bool connected = false;
  Status last_error;
  std::vector<Json> responses;  // response payloads, in arrival order

  ~Impl() {
    if (client) client->Stop();
    // Let the DISCONNECT go out, then stop.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    guard.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
};

DynsecAdmin::~DynsecAdmin() = default;

Result<std::unique_ptr<DynsecAdmin>> DynsecAdmin::Connect(const BrokerAccess& access, std::chrono::milliseconds timeout) {
  std::unique_ptr<DynsecAdmin> admin(new DynsecAdmin());
  admin->access_ = access;
  admin->impl_ = std::make_unique<Impl>();
  Impl& impl = *admin->impl_;
  ClientOptions options = access.client;
  options.subscribe = kResponseTopic;
  options.connect.clean_start = true;
  options.connect.session_expiry_s = 0;
  if (options.connect.client_id.empty()) options.connect.client_id = "fleetd-admin-" + NewDeviceSecret().substr(0, 8);
  options.reconnect_max = std::chrono::milliseconds(500);
  impl.client = std::make_shared<Client>(impl.io, options, impl.metrics);
  Impl* raw = &impl;
  impl.client->set_state_handler([raw](bool connected, const Status& why) {
    std::lock_guard lock(raw->mu);
    raw->connected = connected;
    if (!connected) raw->last_error = why;
    raw->cv.notify_all();
  });
  impl.client->set_batch_handler([raw](const std::vector<Publish>& batch, uint64_t epoch) {
    std::vector<uint16_t> ids;
    std::lock_guard lock(raw->mu);
    for (const Publish& p : batch) {
      if (p.qos == 1) ids.push_back(p.packet_id);
      if (p.topic != kResponseTopic) continue;
      Json j = Json::parse(p.payload.begin(), p.payload.end(), nullptr, false);
      if (!j.is_discarded()) raw->responses.push_back(std::move(j));
    }
    if (!ids.empty()) raw->client->Ack(epoch, ids);
    raw->cv.notify_all();
  });
  impl.thread = std::thread([raw] { raw->io.run(); });
  impl.client->Start();
  std::unique_lock lock(impl.mu);
  if (!impl.cv.wait_for(lock, timeout, [&] { return impl.connected; })) {
    Status why = impl.last_error.ok()
                     ? Status(StatusCode::kIoError, "no answer from the MQTT broker at " + access.client.host + ":" +
                                                        std::to_string(access.client.port))
                     : impl.last_error;
    lock.unlock();
    return why;
  }
  return admin;
}

Result<Json> DynsecAdmin::Execute(const Json& commands, std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  // Correlate by a fresh id on the first command; the plugin echoes it.
  Json cmds = commands;
  const std::string correlation = NewDeviceSecret();
  if (!cmds.is_array() || cmds.empty()) return Status(StatusCode::kInvalidArgument, "no dynsec commands");
  cmds[0]["correlationData"] = correlation;
  const std::string payload = Json{{"commands", cmds}}.dump();
  if (Status s = impl.client->PublishMessage(kCommandTopic, payload, 1, false); !s.ok()) return s;
  std::unique_lock lock(impl.mu);
  Json found;
  bool done = impl.cv.wait_for(lock, timeout, [&] {
    for (auto it = impl.responses.begin(); it != impl.responses.end(); ++it) {
      auto rs = it->find("responses");
      if (rs == it->end() || !rs->is_array() || rs->empty()) continue;
      if ((*rs)[0].value("correlationData", std::string()) != correlation) continue;
      found = *rs;
      impl.responses.erase(it);
      return true;
    }
    return false;
  });
  if (!done) return Status(StatusCode::kIoError, "no dynamic-security response (is the plugin loaded, and is this user its admin?)");
  return found;
}

Status DynsecAdmin::EnsureServiceRole() {
  const std::string& root = access_.topic_root;
  Json acls = Json::array({
      Acl("subscribePattern", "$share/" + access_.share_group + "/" + root + "/+/telemetry", true),
      Acl("subscribePattern", root + "/+/telemetry", true),
      Acl("publishClientReceive", root + "/+/telemetry", true),
      Acl("publishClientSend", root + "/+/state", true),
      Acl("publishClientSend", root + "/+/cmd", true),
      Acl("subscribePattern", root + "/+/state", true),
      Acl("publishClientReceive", root + "/+/state", true),
  });
  auto created = Execute(Json::array({{{"command", "createRole"}, {"rolename", kServiceRole}, {"acls", acls}}}));
  if (Status s = CheckAll(created, {"already exists"}); !s.ok()) return s;
  const std::string& user = access_.client.connect.username;
  auto client = Execute(Json::array({{{"command", "getClient"}, {"username", user}}}));
  if (!client.ok()) return client.status();
  if (client->empty() || (*client)[0].contains("error")) {
    return Status(StatusCode::kNotFound, "dynamic-security has no client '" + user + "'");
  }
  for (const Json& role : (*client)[0]["data"]["client"].value("roles", Json::array())) {
    if (role.value("rolename", std::string()) == kServiceRole) return Status::Ok();
  }
  // Changing a user's roles makes the broker disconnect that user's sessions
  // (this one too), so the answer may never come: the role is checked again
  // on the next start, and the bridge simply reconnects.
  (void)Execute(Json::array({{{"command", "addClientRole"}, {"username", user}, {"rolename", kServiceRole}}}),
                std::chrono::milliseconds(1000));
  return Status::Ok();
}

Status DynsecAdmin::ProvisionDevice(const std::string& uid, const std::string& secret) {
  if (!IsMqttSafeUid(uid)) {
    return Status(StatusCode::kInvalidArgument, "uid '" + uid + "' cannot be an MQTT username and topic level");
  }
  const std::string base = access_.topic_root + "/" + uid + "/";
  // Deny rules first (higher priority): the state and command topics are fleetd's to write.
  Json acls = Json::array({
      Acl("publishClientSend", base + "state", false, 10),
      Acl("publishClientSend", base + "cmd", false, 10),
      Acl("publishClientSend", base + "#", true),
      Acl("subscribePattern", base + "cmd", true),
      Acl("subscribePattern", base + "state", true),
  });
  auto role = Execute(Json::array({{{"command", "createRole"}, {"rolename", DeviceRole(uid)}, {"acls", acls}}}));
  if (Status s = CheckAll(role, {"already exists"}); !s.ok()) return s;
  auto client = Execute(Json::array({{{"command", "createClient"},
                                      {"username", uid},
                                      {"password", secret},
                                      {"roles", Json::array({{{"rolename", DeviceRole(uid)}}})}}}));
  if (!client.ok()) return client.status();
  if (!client->empty() && ErrorIs((*client)[0], "already exists")) {
    auto reset = Execute(Json::array({{{"command", "setClientPassword"}, {"username", uid}, {"password", secret}}}));
    return CheckAll(reset, {});
  }
  return CheckAll(client, {});
}

Status DynsecAdmin::RevokeDevice(const std::string& uid) {
  if (!IsMqttSafeUid(uid)) return Status::Ok();  // never provisioned
  auto r = Execute(Json::array({{{"command", "deleteClient"}, {"username", uid}},
                                {{"command", "deleteRole"}, {"rolename", DeviceRole(uid)}}}));
  return CheckAll(r, {"not found"});
}

bool IsMqttSafeUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (char c : uid) {
    if (c == '+' || c == '#' || c == '/' || c == '$' || static_cast<unsigned char>(c) < 0x21) return false;
  }
  return true;
}

std::string NewDeviceSecret() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) std::abort();  // no entropy: nothing safe to hand out
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < sizeof raw; i += 3) {
    uint32_t v = raw[i] << 16 | raw[i + 1] << 8 | raw[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 0x3F]);
  }
  return out;
}

}  // namespace fleetd::mqtt
