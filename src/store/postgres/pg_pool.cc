// Connecting happens outside the pool's lock: a slow or unreachable server
// must not stop other callers from getting the idle connections there are.
#include "store/postgres/pg_pool.h"

#include <utility>

namespace fleetd::pg {

ConnectionPool::ConnectionPool(std::string url, std::string display_url, Options options)
    : url_(std::move(url)), display_url_(std::move(display_url)), options_(options) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ && conn_) pool_->Return(std::move(conn_));
}

Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    std::unique_lock lock(mu_);
    bool ready =
        returned_.wait_for(lock, options_.acquire_timeout, [&] { return !idle_.empty() || open_ < options_.max_size; });
    if (!ready) {
      return Status(StatusCode::kBusy,
                    "all " + std::to_string(options_.max_size) + " connections to " + display_url_ + " stayed busy");
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
  }
  auto conn = Connection::Connect(url_, options_.connect_timeout_s, display_url_);
  if (conn.ok() && !options_.session_setup.empty()) {
    if (Status s = (*conn)->Script(options_.session_setup.c_str(), "set up session"); !s.ok()) conn = s;
  }
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    returned_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void ConnectionPool::Return(std::unique_ptr<Connection> conn) {
  bool reusable = conn->healthy() && conn->idle();
  if (!reusable) conn.reset();  // close outside the lock
  std::lock_guard lock(mu_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  returned_.notify_one();
}

}  // namespace fleetd::pg
