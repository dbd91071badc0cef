// NatsSession: one connection to NATS (libnats), its JetStream context and
// the pull subscriptions made on it, destroyed in the order libnats needs.
//
// Shared (shared_ptr) by the publisher, the consumer and every outstanding
// Delivery: a fetched natsMsg points into its subscription, so the session
// must outlive every message; acking after the queue is gone then fails
// harmlessly (the connection is closed) instead of touching freed memory.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>
#include <vector>

#include "fleetd/status.h"
#include "queue/nats/nats_queue_options.h"

namespace fleetd::nats {

// "<what>: <libnats status text> (<last error detail>)".
Status NatsError(const std::string& what, natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0));

class NatsSession {
 public:
  // Connects to `options.servers` (failing fast if none answers within
  // connect_timeout; reconnecting forever once connected) and makes a
  // JetStream context whose async publish acks go to `ack_handler` with
  // `ack_closure.get()`. The session keeps the closure alive until the
  // context is gone, since libnats may call the handler until then.
  static Result<std::shared_ptr<NatsSession>> Connect(const NatsQueueOptions& options, jsPubAckHandler ack_handler,
                                                      std::shared_ptr<void> ack_closure);
  ~NatsSession();
  NatsSession(const NatsSession&) = delete;
  NatsSession& operator=(const NatsSession&) = delete;

  natsConnection* connection() const { return nc_; }
  jsCtx* js() const { return js_; }

  // Takes ownership of a subscription (destroyed with the session).
  void Adopt(natsSubscription* sub) { subs_.push_back(sub); }

  // Closes the connection: blocked fetches return, later acks fail. Idempotent.
  void Close();

 private:
  NatsSession() = default;
  std::shared_ptr<void> ack_closure_;  // released after js_ (member destructors run after ~NatsSession's body)
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::vector<natsSubscription*> subs_;
};

}  // namespace fleetd::nats
