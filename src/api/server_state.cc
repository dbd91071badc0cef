// See server_state.h.
#include "api/server_state.h"

namespace fleetd::api {

ServerState::ServerState(ApiContext context)
    : ctx_(std::move(context)),
      router_(ctx_),
      hub_(ctx_.live, ctx_.metrics),
      slow_work_(ctx_.login_threads, ctx_.login_queue),
      query_work_(ctx_.query_threads, ctx_.query_queue) {}

std::optional<uint64_t> ServerState::Register(std::weak_ptr<Closeable> session) {
  std::lock_guard lock(mu_);
  if (stopping_) return std::nullopt;
  uint64_t id = next_id_++;
  sessions_[id] = std::move(session);
  return id;
}

void ServerState::Unregister(uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

std::vector<std::shared_ptr<Closeable>> ServerState::BeginStop() {
  std::vector<std::shared_ptr<Closeable>> open;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    sessions_.clear();
  }
  // After a running login has posted its answer; queued ones are dropped
  // (their sessions close with them).
  slow_work_.Stop();
  query_work_.Stop();
  return open;
}

bool ServerState::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

}  // namespace fleetd::api
