// NatsSession: connection set-up and ordered teardown.
#include "queue/nats/nats_session.h"

#include <cstring>

namespace fleetd::nats {

Status NatsError(const std::string& what, natsStatus s, jsErrCode jerr) {
  std::string text = what + ": " + natsStatus_GetText(s);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0' && std::strcmp(detail, natsStatus_GetText(s)) != 0) {
    text += " (" + std::string(detail) + ")";
  }
  if (jerr != 0) text += " [JetStream error " + std::to_string(static_cast<int>(jerr)) + "]";
  return Status(StatusCode::kIoError, text);
}

Result<std::shared_ptr<NatsSession>> NatsSession::Connect(const NatsQueueOptions& o, jsPubAckHandler ack_handler,
                                                          std::shared_ptr<void> ack_closure) {
  std::shared_ptr<NatsSession> session(new NatsSession());
  session->ack_closure_ = std::move(ack_closure);
  natsStatus s = natsOptions_Create(&session->opts_);
  if (s != NATS_OK) return NatsError("cannot create NATS options", s);

  std::vector<const char*> servers;
  for (const auto& url : o.servers) servers.push_back(url.c_str());
  std::string joined;
  for (const auto& url : o.servers) joined += (joined.empty() ? "" : ",") + url;

  if (s == NATS_OK) s = natsOptions_SetServers(session->opts_, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(session->opts_, true);
  if (s == NATS_OK) s = natsOptions_SetName(session->opts_, "fleetd");
  if (s == NATS_OK) s = natsOptions_SetTimeout(session->opts_, o.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(session->opts_, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(session->opts_, -1);  // forever: the server comes back
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(session->opts_, 250);
  // Fail queued pulls and acks at once on a disconnect instead of letting
  // them wait out their timeouts against a dead socket.
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(session->opts_, true);
  if (s != NATS_OK) return NatsError("invalid NATS options", s);

  s = natsConnection_Connect(&session->nc_, session->opts_);
  if (s != NATS_OK) return NatsError("cannot connect to NATS at " + joined, s);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  jo.PublishAsync.AckHandler = ack_handler;
  jo.PublishAsync.AckHandlerClosure = session->ack_closure_.get();
  // No library stall: the publisher keeps its own window and answers kBusy.
  jo.PublishAsync.MaxPending = 0;
  s = natsConnection_JetStream(&session->js_, session->nc_, &jo);
  if (s != NATS_OK) return NatsError("cannot create a JetStream context", s);
  return session;
}

void NatsSession::Close() {
  if (nc_ != nullptr) natsConnection_Close(nc_);
}

NatsSession::~NatsSession() {
  Close();
  for (natsSubscription* sub : subs_) natsSubscription_Destroy(sub);
  jsCtx_Destroy(js_);
  natsConnection_Destroy(nc_);
  natsOptions_Destroy(opts_);
}

}  // namespace fleetd::nats
