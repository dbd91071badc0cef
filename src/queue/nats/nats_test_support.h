// What the gtest binaries that run against a NatsTestServer share besides
// the server: a queue that must open, polling for a condition, a queue-time
// boundary, the contract tests left out, and main()'s
// start-the-server-then-run-the-tests step.
// Header-only, for tests (it includes gtest); the benchmark does not use it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "core/time_util.h"
#include "queue/nats/nats_queue.h"
#include "queue/nats/nats_test_server.h"

namespace fleetd::nats::test {

// Options for a stream ("<tag><n>") and subject prefix (lower-case tag +
// n) that no other test of the binary uses, on the server at `url`, with a
// small byte limit; tests set what else they need.
inline NatsQueueOptions FreshStream(const std::string& url, char tag) {
  static std::atomic<int> counter{0};
  const std::string n = std::to_string(++counter);
  NatsQueueOptions o;
  o.servers = {url};
  o.stream = std::string(1, tag) + n;
  o.prefix = std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(tag)))) + n;
  o.max_bytes = 64LL << 20;
  return o;
}

// The queue NatsQueue::Open gives, or null with a test failure recorded.
inline std::unique_ptr<NatsQueue> OpenOrFail(const NatsQueueOptions& o) {
  auto q = NatsQueue::Open(o);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? std::move(*q) : nullptr;
}

// Whether `pred` holds within `timeout`, asking every `poll` and once more
// at the deadline.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

// A queue time strictly between what was published before the call and
// what is published after it.
inline TimestampMs Boundary() {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  TimestampMs t = NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return t;
}

// The gtest filter that leaves out, in the instantiation named `instance`,
// the six Queue contract tests whose meaning of "durable" (acked by the
// consumer) and "capacity" (un-consumed messages) is MemoryQueue's, not
// JetStream's; nats_queue_test.cc tests the JetStream meaning instead.
inline std::string WithoutMemoryQueueContractTests(const std::string& instance) {
  std::string filter = "-";
  for (const char* name : {"AckCompletesCallbackExactlyOnce", "CallbackWaitsForEveryMessageOfTheBatch",
                           "FullQueueRefusesWithBusyAndKeepsNothing", "RefusedBatchIsLeftUntouchedForRetry",
                           "NackRedeliversFromTheFrontInOrder", "CloseFailsBatchesThatCanNoLongerComplete"}) {
    if (filter.size() > 1) filter += ":";
    filter += instance + "/QueueContractTest." + name + "/*";
  }
  return filter;
}

// For main(), after testing::InitGoogleTest: runs the tests with a started
// server in *server (listing them, as ctest's discovery does, needs none).
// 1 if the server does not start.
inline int RunAllTestsWithServer(NatsTestServer** server) {
  if (::testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();
  NatsTestServer started;
  std::string error = started.Start();
  if (!error.empty()) {
    std::fprintf(stderr, "FAILED to start nats-server: %s\n", error.c_str());
    return 1;
  }
  *server = &started;
  return RUN_ALL_TESTS();
}

}  // namespace fleetd::nats::test
