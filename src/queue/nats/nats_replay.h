// NatsReplay: reads a time window of the queue's JetStream stream again, for
// `fleetd replay` (recovery from a downstream bug: the stream keeps consumed
// messages, limits retention, so they can be rewritten into the store).
//
// The window is by the time JetStream stored each message, not by fix time:
// a consumer bug is bounded by when messages went through the queue, and a
// device's buffered history uploaded in the window is part of it whatever
// its fix times. The replay starts at the first message stored at or after
// --from (found by a binary search over stored times, which JetStream
// assigns in sequence order) and ends before the first message stored at
// or after --to, or at the stream's last sequence when the replay began, so
// it ends while devices keep publishing.
//
// It reads through its own ephemeral pull consumer over every partition
// (`<prefix>.msg.*`, in stream order, so each device's messages come in the
// order they were published), held in server memory, deleted when the
// replay ends and left by the server after 5 minutes if this process dies.
// The durable consumers of `fleetd process` are never touched: nothing is
// acked on them and no durable is created.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "fleetd/message.h"
#include "fleetd/queue.h"
#include "fleetd/status.h"
#include "queue/nats/nats_queue_options.h"

namespace fleetd::nats {

struct ReplayWindow {
  TimestampMs from = 0;           // inclusive: stored at or after this
  std::optional<TimestampMs> to;  // exclusive; absent: up to the last message stored when the replay began
  std::string device_uid;         // empty: every device
  size_t batch_size = 1000;       // envelopes per callback, 1..100000
};

struct ReplayStats {
  uint64_t read = 0;                   // envelopes of the window read from the stream (+ undecodable messages)
  uint64_t delivered = 0;              // envelopes handed to the callback
  uint64_t skipped_other_devices = 0;  // envelopes read, but of another device than window.device_uid
  uint64_t undecodable = 0;            // read, but not an envelope (the durable consumers terminate these)
};

// Receives each batch of decoded envelopes, in stream order; a non-ok
// status stops the replay and is returned.
using ReplayBatchFn = std::function<Status(std::span<const Envelope>)>;
// Called after each batch with the totals so far (progress output).
using ReplayProgressFn = std::function<void(const ReplayStats&)>;

// Reads the window and hands it to `on_batch` in batches of at most
// window.batch_size envelopes (memory stays bounded by one batch). A window
// with nothing in it is not an error: the stats are all 0. kIoError naming
// the server when it is unreachable or the connection fails mid-replay;
// kNotFound when the stream does not exist; kInvalidArgument for a bad
// window (from after to, batch_size out of range).
Result<ReplayStats> ReplayStream(const NatsQueueOptions& options, const ReplayWindow& window,
                                 const ReplayBatchFn& on_batch, const ReplayProgressFn& progress = nullptr);

}  // namespace fleetd::nats
