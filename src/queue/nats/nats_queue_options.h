// NatsQueueOptions: everything the JetStream queue can be told, and the
// parser for the `nats://` queue URL that carries it.
//
//   nats://host[:port][,host[:port]...][?key=value&...]
//
// Several hosts name the members of one cluster (the client fails over
// between them). Keys (defaults in the struct below):
//   stream=FLEETD          JetStream stream name        [A-Za-z0-9_-]{1,64}
//   prefix=fleetd          subject prefix               tokens of [A-Za-z0-9_-], dot-separated
//   partitions=16          P, 1..1024; fixed for the life of the stream
//   durable=fleetd         consumer name stem           [A-Za-z0-9_-]{1,48}
//   consume=auto           which partitions this process fetches:
//                            auto (default): shared with every other process
//                              on the same stream and durable by leases in a
//                              NATS KV bucket (nats_leases.h);
//                            all: every partition, statically (one process only);
//                            0-3,8: exactly these, statically (ranges must not
//                              overlap between processes; not checked)
//   lease=10s              consume=auto only: lease time, 2s..1h; renewed every lease/3
//   window=4096            outstanding published envelopes, 1..1000000
//   group=64               envelopes per JetStream message (one partition), 1..1000
//   linger=10ms            batches wait this long to be sent together, 0..1s (0: at once)
//   publish_timeout=5s     a publish not acked by then fails its batch
//   max_age=7d max_bytes=10GiB dedup_window=2m replicas=1   stream limits
//   ack_wait=30s fetch_batch=256 max_ack_pending=4096        consumer settings
//   connect_timeout=2s
// Durations take a unit: ms, s, m, h, d. Sizes: B, KiB, MiB, GiB, TiB.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd/status.h"

namespace fleetd::nats {

struct NatsQueueOptions {
  std::vector<std::string> servers;  // "nats://host:port", at least one
  std::string stream = "FLEETD";
  std::string prefix = "fleetd";
  size_t partitions = 16;
  std::string durable = "fleetd";
  // How partitions are chosen when `consume` is empty; a non-empty
  // `consume` is always a static list (the URL key sets one or the other).
  enum class ConsumeMode { kAuto, kAll };
  ConsumeMode consume_mode = ConsumeMode::kAuto;
  std::vector<size_t> consume;  // explicit partitions; empty: see consume_mode
  std::chrono::milliseconds lease{10000};
  size_t window = 4096;
  // At most this many envelopes of one partition share a JetStream message
  // (the list form of core/envelope_codec.h); 1 = one message per envelope.
  size_t group = 64;
  // How long published batches wait to be sent together: envelopes of one
  // partition from every connection of the node then share messages. 0 =
  // each batch is sent at once (it groups only its own envelopes). 10 ms:
  // at 8,000 msg/s of single-frame devices over 16 partitions, 2 ms left
  // about one envelope per message; 10 ms cut the NATS server's and the
  // ingest nodes' CPU by a sixth and the WebSocket p99 by ~15%, for 8 ms
  // more at p50 when the machine is idle (docs/performance.md).
  std::chrono::milliseconds linger{10};
  std::chrono::milliseconds publish_timeout{5000};
  std::chrono::milliseconds max_age{7LL * 24 * 3600 * 1000};
  int64_t max_bytes = 10LL << 30;
  std::chrono::milliseconds dedup_window{2 * 60 * 1000};
  int replicas = 1;
  std::chrono::milliseconds ack_wait{30000};
  size_t fetch_batch = 256;
  int64_t max_ack_pending = 4096;
  std::chrono::milliseconds connect_timeout{2000};

  // The partitions this process may fetch from: `consume`, or all of them
  // (with consume=auto, only those it holds a lease on at the moment).
  std::vector<size_t> ConsumedPartitions() const;
  // True when partitions are shared by leases (consume=auto).
  bool leased() const { return consume.empty() && consume_mode == ConsumeMode::kAuto; }
};

// Parses a queue URL. kInvalidArgument with a message naming the bad part
// (and what is accepted) for anything else.
Result<NatsQueueOptions> ParseNatsQueueUrl(std::string_view url);

// "30s", "500ms", "7d" -> milliseconds; nullopt-like failure as a Status.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// "10GiB", "512MiB", "4096B" -> bytes.
Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace fleetd::nats
