// MemoryQueue: the shared Queue contract plus what only the in-process queue
// promises (partition locking, callbacks outside the lock, odd batch sizes).
#include "queue/memory/memory_queue.h"

#include <gtest/gtest.h>

#include <memory>

#include "contract/queue_contract.h"

namespace fleetd {
namespace {

using contract::QueueContractParam;
using contract::QueueContractTest;
using contract::QueueEnvelope;

INSTANTIATE_TEST_SUITE_P(Memory, QueueContractTest,
                         testing::Values(QueueContractParam{"Memory",
                                                            [](size_t capacity) -> std::unique_ptr<Queue> {
                                                              return std::make_unique<MemoryQueue>(capacity,
                                                                                                   16);
                                                            }},
                                         QueueContractParam{"MemoryOnePartition",
                                                            [](size_t capacity) -> std::unique_ptr<Queue> {
                                                              return std::make_unique<MemoryQueue>(capacity,
                                                                                                   1);
                                                            }}),
                         contract::QueueContractParamName);

TEST(MemoryQueueTest, NackAfterStoredCountsAsDone) {
  MemoryQueue q(10, 4);
  contract::CallbackProbe probe;
  ASSERT_TRUE(q.Publish({QueueEnvelope("A", 1)}, probe.Callback()).ok());
  auto d = q.Fetch(10, std::chrono::milliseconds(100));
  ASSERT_NE(d, nullptr);
  d->Stored();
  d->Nack();  // the write is durable: nothing to redeliver
  EXPECT_EQ(probe.calls, 1);
  EXPECT_TRUE(probe.last_ok);
  EXPECT_EQ(q.depth(), 0u);
  EXPECT_EQ(q.Fetch(10, std::chrono::milliseconds(20)), nullptr);
}

TEST(MemoryQueueTest, EmptyBatchIsDurableImmediately) {
  MemoryQueue q(10, 4);
  int calls = 0;
  EXPECT_TRUE(q.Publish({}, [&](const Status& s) {
                 EXPECT_TRUE(s.ok());
                 ++calls;
               }).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(q.depth(), 0u);
}

TEST(MemoryQueueTest, BatchLargerThanCapacityIsInvalidNotBusy) {
  MemoryQueue q(2, 4);
  Status s = q.Publish({QueueEnvelope("A", 1), QueueEnvelope("A", 2), QueueEnvelope("A", 3)}, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "kBusy would make the caller retry forever";
  EXPECT_EQ(q.depth(), 0u);
}

TEST(MemoryQueueTest, HeldPartitionIsNotFetchedTwice) {
  MemoryQueue q(100, 1);  // one partition: every device shares it
  ASSERT_TRUE(q.Publish({QueueEnvelope("A", 1), QueueEnvelope("B", 1)}, nullptr).ok());
  auto first = q.Fetch(1, std::chrono::milliseconds(100));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->envelopes()[0].message.device_uid, "A");
  EXPECT_EQ(q.Fetch(1, std::chrono::milliseconds(20)), nullptr) << "partition is held by `first`";
  first->Ack();
  auto second = q.Fetch(1, std::chrono::milliseconds(100));
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->envelopes()[0].message.device_uid, "B");
}

TEST(MemoryQueueTest, CallbackMayReenterTheQueue) {
  // Callbacks run without the queue mutex: publishing from one must not deadlock.
  MemoryQueue q(10, 4);
  bool republished = false;
  ASSERT_TRUE(q.Publish({QueueEnvelope("A", 1)}, [&](const Status&) {
                 republished = q.Publish({QueueEnvelope("A", 2)}, nullptr).ok();
                 EXPECT_EQ(q.depth(), 1u);
               }).ok());
  auto d = q.Fetch(10, std::chrono::milliseconds(100));
  ASSERT_NE(d, nullptr);
  d->Ack();
  EXPECT_TRUE(republished);
}

TEST(MemoryQueueTest, NackAfterCloseFailsTheBatch) {
  MemoryQueue q(10, 4);
  int calls = 0;
  bool ok = true;
  ASSERT_TRUE(q.Publish({QueueEnvelope("A", 1)}, [&](const Status& s) {
                 ++calls;
                 ok = s.ok();
               }).ok());
  auto d = q.Fetch(10, std::chrono::milliseconds(100));
  ASSERT_NE(d, nullptr);
  q.Close();
  EXPECT_EQ(calls, 0) << "the batch is in flight and may still be committed";
  d->Nack();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(ok);
  EXPECT_EQ(q.depth(), 0u);
}

TEST(MemoryQueueTest, AckAfterCloseStillCompletesInFlightBatch) {
  MemoryQueue q(10, 4);
  int calls = 0;
  bool ok = false;
  ASSERT_TRUE(q.Publish({QueueEnvelope("A", 1)}, [&](const Status& s) {
                 ++calls;
                 ok = s.ok();
               }).ok());
  auto d = q.Fetch(10, std::chrono::milliseconds(100));
  ASSERT_NE(d, nullptr);
  q.Close();
  d->Ack();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(ok);
}

TEST(MemoryQueueTest, DeliveryMayOutliveTheQueue) {
  std::unique_ptr<Delivery> d;
  {
    MemoryQueue q(10, 4);
    ASSERT_TRUE(q.Publish({QueueEnvelope("A", 1)}, nullptr).ok());
    d = q.Fetch(10, std::chrono::milliseconds(100));
    ASSERT_NE(d, nullptr);
  }
  d->Nack();  // must not touch freed memory (ASan/valgrind would see it)
  SUCCEED();
}

}  // namespace
}  // namespace fleetd
