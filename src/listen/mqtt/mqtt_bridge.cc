#include "listen/mqtt/mqtt_bridge.h"

#include <boost/asio/post.hpp>

#include "core/time_util.h"
#include "listen/mqtt/dynsec.h"
#include "protocol/mqtt/mqtt_payload_decoder.h"

namespace fleetd {

namespace asio = boost::asio;

namespace {
constexpr const char* kProtocol = "mqtt";

}  // namespace

struct MqttBridge::Pending {
  std::vector<Envelope> envelopes;
  std::vector<uint16_t> packet_ids;  // QoS 1 messages these envelopes came from
  uint64_t epoch = 0;
};

MqttBridge::MqttBridge(asio::io_context& io, mqtt::ClientOptions client_options, ListenerDeps deps,
                       MqttBridgeOptions options)
    : io_(io),
      deps_(deps),
      options_(std::move(options)),
      retry_timer_(io),
      decoder_(std::make_unique<MqttPayloadDecoder>()),
      alive_(std::make_shared<bool>(true)),
      messages_(deps.metrics.GetCounter("fleetd_messages_total", {{"protocol", kProtocol}},
                                        "Messages published to the queue")),
      frames_ok_(deps.metrics.GetCounter("fleetd_frames_total", {{"protocol", kProtocol}}, "Frames decoded")) {
  client_options.subscribe = "$share/" + options_.share_group + "/" + options_.topic_root + "/+/telemetry";
  client_ = std::make_shared<mqtt::Client>(io, std::move(client_options), deps.metrics);
}

MqttBridge::~MqttBridge() { *alive_ = false; }

void MqttBridge::Start() {
  client_->set_batch_handler([this, alive = alive_](const std::vector<mqtt::Publish>& batch, uint64_t epoch) {
    if (*alive) OnBatch(batch, epoch);
  });
  client_->Start();
}

void MqttBridge::Stop() {
  *alive_ = false;
  client_->Stop();
  asio::post(io_, [this, alive = alive_] { retry_timer_.cancel(); });
}

std::string MqttBridge::UidFromTopic(std::string_view topic, std::string_view root) {
  // <root>/<uid>/telemetry
  if (topic.size() <= root.size() + 1 || topic.substr(0, root.size()) != root || topic[root.size()] != '/') return "";
  std::string_view rest = topic.substr(root.size() + 1);
  constexpr std::string_view kSuffix = "/telemetry";
  if (rest.size() <= kSuffix.size() || rest.substr(rest.size() - kSuffix.size()) != kSuffix) return "";
  std::string_view uid = rest.substr(0, rest.size() - kSuffix.size());
  return mqtt::IsMqttSafeUid(std::string(uid)) ? std::string(uid) : "";
}

void MqttBridge::Reject(const Status& why, const std::string& uid, bool registered) {
  const std::string reason(StatusCodeName(why.code()));
  deps_.metrics
      .GetCounter("fleetd_frames_rejected_total", {{"protocol", kProtocol}, {"reason", reason}},
                  "Frames dropped, by protocol and reason")
      .Add();
  if (registered) {
    deps_.metrics
        .GetCounter("fleetd_device_frames_rejected_total",
                    {{"device", uid}, {"protocol", kProtocol}, {"reason", reason}},
                    "Frames dropped from a registered device, by reason")
        .Add();
  }
}

void MqttBridge::OnBatch(const std::vector<mqtt::Publish>& batch, uint64_t epoch) {
  auto pending = std::make_unique<Pending>();
  pending->epoch = epoch;
  std::vector<uint16_t> rejected_ids;  // acknowledged at once: a resend would fail the same way
  const TimestampMs now = NowMs();
  DecodeOutput out;
  for (const mqtt::Publish& p : batch) {
    const std::string uid = UidFromTopic(p.topic, options_.topic_root);
    auto finish_rejected = [&] {
      if (p.qos == 1) rejected_ids.push_back(p.packet_id);
    };
    if (uid.empty()) {
      Reject(Status(StatusCode::kMalformed, "topic '" + p.topic + "' is not <root>/<uid>/telemetry"), uid, false);
      finish_rejected();
      continue;
    }
    if (p.payload.size() > kMaxMqttPayload) {
      Reject(Status(StatusCode::kBadLength, "payload over the limit"), uid, false);
      finish_rejected();
      continue;
    }
    auto device = deps_.devices.Resolve(uid);
    if (!device.ok()) {
      if (device.status().code() == StatusCode::kNotFound) {
        deps_.metrics.GetCounter("fleetd_unregistered_total", {{"protocol", kProtocol}},
                                 "Connections from devices no tenant has registered").Add();
        deps_.devices.RecordPending(uid, kProtocol, "mqtt:" + p.topic, now);
        finish_rejected();
      } else {
        // The registry is unreachable: leave the message unacknowledged, so
        // the broker resends it once we reconnect.
        deps_.metrics.GetCounter("fleetd_device_lookup_errors_total", {{"protocol", kProtocol}}).Add();
      }
      continue;
    }
    DecodeSession session;
    session.device_uid = uid;
    session.lenient = options_.lenient || device->lenient;
    session.model = device->model;
    out.messages.clear();
    out.reply.clear();
    Status s = decoder_->Decode(p.payload, session, now, out);
    if (!s.ok()) {
      Reject(s, uid, true);
      finish_rejected();
      continue;
    }
    frames_ok_.Add();
    for (Message& m : out.messages) {
      m.protocol = kProtocol;
      pending->envelopes.push_back(Envelope{device->tenant_id, device->id, std::move(m)});
    }
    if (p.qos == 1) pending->packet_ids.push_back(p.packet_id);
  }
  if (!rejected_ids.empty()) client_->Ack(epoch, rejected_ids);
  if (pending->envelopes.empty()) {
    if (!pending->packet_ids.empty()) client_->Ack(epoch, pending->packet_ids);
    return;
  }
  pending_ = std::move(pending);
  TryPublish();
}

void MqttBridge::TryPublish() {
  if (!pending_) return;
  const size_t count = pending_->envelopes.size();
  auto client = client_;
  const uint64_t epoch = pending_->epoch;
  auto ids = pending_->packet_ids;
  Status s = deps_.queue.Publish(std::move(pending_->envelopes), [client, epoch, ids = std::move(ids)](const Status& st) {
    if (st.ok()) {
      client->Ack(epoch, ids);
    } else {
      // Not durable: reconnect so the broker resends everything unacknowledged.
      client->Reconnect(Status(StatusCode::kIoError, "queue write failed: " + st.message()));
    }
  });
  if (s.ok()) {
    messages_.Add(static_cast<int64_t>(count));
    pending_.reset();
    if (paused_) {
      paused_ = false;
      client_->ResumeReading();
    }
    return;
  }
  if (s.code() == StatusCode::kBusy) {
    deps_.metrics.GetCounter("fleetd_backpressure_waits_total", {{"protocol", kProtocol}},
                             "Times a full queue paused a connection").Add();
    paused_ = true;
    client_->PauseReading();
    retry_timer_.expires_after(options_.busy_retry);
    retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
      if (!ec && *alive) TryPublish();
    });
    return;
  }
  deps_.metrics.GetCounter("fleetd_publish_errors_total", {{"protocol", kProtocol}}).Add();
  pending_.reset();
  client_->Reconnect(Status(StatusCode::kIoError, "queue refused the batch: " + s.message()));
}

}  // namespace fleetd
