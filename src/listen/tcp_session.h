// TcpSession: one device connection — read, frame, decode, publish, reply.
//
// Lives on a single io_context thread, so its handlers never race. Replies go
// out only when the queue reports the batch durable (stored, on embedded
// defaults), in the order the frames arrived, through one writer. Reading
// pauses while too many batches are in flight or the queue is full, which is
// how backpressure reaches the device instead of memory growing.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/metrics.h"
#include "fleetd/decoder.h"
#include "fleetd/framer.h"
#include "fleetd/queue.h"
#include "fleetd/store.h"
#include "listen/device_directory.h"
#include "protocol/registry.h"

namespace fleetd {

struct ListenerOptions {
  std::chrono::seconds idle_timeout{600};  // GT06 heartbeats every few minutes
  size_t max_inflight_batches = 8;         // per connection, awaiting durability
  size_t max_consecutive_errors = 8;       // a connection sending only garbage is closed
  bool lenient = false;                    // accept bad checksums/lengths for this protocol
  std::chrono::milliseconds busy_retry{5}; // wait before re-offering a batch to a full queue
};

// What sessions share; owned by the listener's owner and outliving sessions.
struct ListenerDeps {
  Queue& queue;
  DeviceDirectory& devices;
  Metrics& metrics;
};

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(boost::asio::ip::tcp::socket socket, const ProtocolInfo& protocol, ListenerDeps deps,
             const ListenerOptions& options);

  // Begins reading. Call once, on any thread.
  void Start();
  // Closes the socket from any thread; in-flight durable callbacks are ignored.
  void Close();

 private:
  struct InFlight {
    uint64_t seq = 0;
    bool done = false;
    bool durable = false;
    std::vector<uint8_t> reply;
  };

  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Frames and decodes everything buffered; false if the session closed.
  bool ProcessBuffer();
  bool HandleFrame(std::span<const uint8_t> frame);
  bool ResolveDevice();
  void Reject(const Status& why);
  void TryPublish();
  void OnDurable(uint64_t seq, bool durable);
  void FlushReplies();
  void Write(std::vector<uint8_t> bytes);
  void DoWrite();
  void ArmIdleTimer();
  void DoClose();
  bool CanRead() const;

  boost::asio::ip::tcp::socket socket_;
  // Armed once per idle_timeout, not per read: a reset per frame cost two
  // handler runs and a timer-heap update on every fix. When it fires early
  // (traffic came since) it is armed again for the rest of the period.
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_read_;
  boost::asio::steady_timer retry_timer_;
  const ProtocolInfo& protocol_;
  ListenerDeps deps_;
  const ListenerOptions& options_;
  std::unique_ptr<Framer> framer_;
  std::unique_ptr<Decoder> decoder_;
  std::string remote_;

  std::vector<uint8_t> buffer_;  // fixed size: 2 x the protocol's max frame
  size_t begin_ = 0;
  size_t end_ = 0;

  DecodeSession decode_session_;
  std::optional<Device> device_;
  DecodeOutput decoded_;               // reused per frame
  std::vector<Envelope> batch_;        // this read's messages, not yet published
  std::vector<uint8_t> batch_reply_;   // and the replies they earn
  std::deque<InFlight> inflight_;
  uint64_t next_seq_ = 0;
  bool publish_blocked_ = false;
  bool reading_ = false;

  std::deque<std::vector<uint8_t>> write_queue_;
  bool writing_ = false;
  bool closed_ = false;
  size_t consecutive_errors_ = 0;  // rejected frames since the last good one
  size_t garbage_bytes_ = 0;       // bytes dropped since the last good frame

  Counter& frames_ok_;
  Counter& messages_;
};

}  // namespace fleetd
