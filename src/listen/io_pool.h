// IoPool: one io_context per thread (per core), as Asio scales best that way.
//
// Each connection lives on one context for its whole life, so its handlers
// never run concurrently and need no strand. Acceptors hand new sockets to
// the contexts round-robin.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace fleetd {

class IoPool {
 public:
  // threads == 0 means one per hardware thread.
  explicit IoPool(size_t threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Starts the threads. Call once.
  void Start();
  // Stops the contexts and joins the threads. Idempotent.
  void Stop();

  boost::asio::io_context& Next();  // round-robin; thread-safe
  boost::asio::io_context& At(size_t i) { return *contexts_[i % contexts_.size()]; }
  size_t size() const { return contexts_.size(); }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace fleetd
