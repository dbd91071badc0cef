#include "api/blocking_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>

namespace fleetd::api {
namespace {

using namespace std::chrono_literals;

TEST(BlockingPoolTest, RunsJobsOnItsOwnThreads) {
  BlockingPool pool(2, 8);
  std::promise<std::thread::id> ran;
  ASSERT_TRUE(pool.TrySubmit([&] { ran.set_value(std::this_thread::get_id()); }));
  auto f = ran.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
}

// Both threads busy, the queue full: the next job is refused at once, not
// queued; once the threads are free again jobs are taken.
TEST(BlockingPoolTest, RefusesBeyondTheQueueBound) {
  BlockingPool pool(2, 3);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0}, done{0};
  auto blocker = [&] {
    ++started;
    gate.wait();
    ++done;
  };
  ASSERT_TRUE(pool.TrySubmit(blocker));
  ASSERT_TRUE(pool.TrySubmit(blocker));
  for (int i = 0; i < 200 && started < 2; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(started, 2);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.TrySubmit([&] { ++done; })) << i;
  EXPECT_EQ(pool.queued(), 3u);
  EXPECT_FALSE(pool.TrySubmit([&] { ++done; })) << "a fourth waiting job must be refused";
  release.set_value();
  for (int i = 0; i < 400 && done < 5; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(done, 5);
  EXPECT_TRUE(pool.TrySubmit([&] { ++done; }));
}

// Stop waits for the running job, drops (destroys) the queued ones and
// refuses new ones.
TEST(BlockingPoolTest, StopFinishesRunningDropsQueued) {
  BlockingPool pool(1, 4);
  std::atomic<bool> running{false}, finished{false};
  ASSERT_TRUE(pool.TrySubmit([&] {
    running = true;
    std::this_thread::sleep_for(100ms);
    finished = true;
  }));
  for (int i = 0; i < 200 && !running; ++i) std::this_thread::sleep_for(5ms);
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  std::atomic<bool> queued_ran{false};
  ASSERT_TRUE(pool.TrySubmit([&, token] { queued_ran = true; }));
  token.reset();
  pool.Stop();
  EXPECT_TRUE(finished) << "Stop returned before the running job ended";
  EXPECT_FALSE(queued_ran);
  EXPECT_TRUE(watch.expired()) << "the dropped job's captures were not released";
  EXPECT_FALSE(pool.TrySubmit([] {}));
  pool.Stop();  // again: nothing
}

// The last owner of the pool released inside one of its jobs: Stop runs on
// the pool's own thread and must neither join itself nor crash.
TEST(BlockingPoolTest, DestroyedFromItsOwnJob) {
  auto pool = std::make_shared<BlockingPool>(2, 4);
  std::promise<void> destroyed;
  auto* raw = pool.get();
  ASSERT_TRUE(raw->TrySubmit([owner = std::move(pool), &destroyed]() mutable {
    owner.reset();  // ~BlockingPool on this thread
    destroyed.set_value();
  }));
  ASSERT_EQ(destroyed.get_future().wait_for(5s), std::future_status::ready);
  std::this_thread::sleep_for(50ms);  // the detached thread leaves its loop
}

}  // namespace
}  // namespace fleetd::api
