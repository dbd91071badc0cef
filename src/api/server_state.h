// ServerState: what the ApiServer's sessions share — the context, the
// router, the live hub and the set of open HTTP sessions (so Stop() can
// close them). Sessions hold it by shared_ptr, so it outlives every session
// even when the ApiServer object goes first. Beast-free.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "api/api_context.h"
#include "api/blocking_pool.h"
#include "api/live_hub.h"
#include "api/router.h"

namespace fleetd::api {

// An open connection the server may have to close at shutdown.
class Closeable {
 public:
  virtual ~Closeable() = default;
  // Closes soon. Any thread, must not block.
  virtual void Close() = 0;
};

class ServerState {
 public:
  explicit ServerState(ApiContext context);

  const ApiContext& ctx() const { return ctx_; }
  Router& router() { return router_; }
  LiveHub& hub() { return hub_; }
  Metrics& metrics() { return ctx_.metrics; }
  // Where logins hash passwords (blocking_pool.h); stopped by BeginStop().
  BlockingPool& slow_work() { return slow_work_; }
  // Where requests wait on the store and the live state; stopped by BeginStop().
  BlockingPool& query_work() { return query_work_; }

  // Tracks an HTTP session; nullopt once stopping (the caller closes it).
  std::optional<uint64_t> Register(std::weak_ptr<Closeable> session);
  void Unregister(uint64_t id);

  // Marks the state stopping, stops slow_work() and query_work() (running
  // jobs finish, queued ones are dropped) and returns the open sessions to
  // close.
  std::vector<std::shared_ptr<Closeable>> BeginStop();
  bool stopping() const;

 private:
  ApiContext ctx_;
  Router router_;  // refers to ctx_
  LiveHub hub_;
  BlockingPool slow_work_;   // ctx_.login_threads, ctx_.login_queue
  BlockingPool query_work_;  // ctx_.query_threads, ctx_.query_queue
  mutable std::mutex mu_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::weak_ptr<Closeable>> sessions_;
};

}  // namespace fleetd::api
