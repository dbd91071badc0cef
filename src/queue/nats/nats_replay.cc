// NatsReplay: one ephemeral pull consumer, fetched in batches until the end
// of the window; see nats_replay.h.
#include "queue/nats/nats_replay.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/envelope_codec.h"
#include "queue/nats/nats_session.h"
#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {
namespace {

constexpr int64_t kNanosPerMs = 1000000;
constexpr size_t kMaxBatch = 100000;
// A pull returns at once with what is stored; only when it finds nothing
// does the replay wait this long for more before calling the window done.
constexpr int64_t kLastPullWaitMs = 1000;
// The ephemeral consumer outlives a dead replay by this much, no more.
constexpr int64_t kInactiveThresholdNs = 5LL * 60 * 1000 * kNanosPerMs;
// Fetched messages are acked after each batch; none should wait this long.
constexpr int64_t kAckWaitNs = 10LL * 60 * 1000 * kNanosPerMs;

int64_t ToNanos(TimestampMs ms) {
  constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max() / kNanosPerMs;
  return std::clamp<int64_t>(ms, 0, kMaxMs) * kNanosPerMs;
}

std::string ServerList(const NatsQueueOptions& o) {
  std::string joined;
  for (const auto& url : o.servers) joined += (joined.empty() ? "" : ",") + url;
  return joined;
}

// The consumer and its subscription, deleted on every way out.
class EphemeralConsumer {
 public:
  EphemeralConsumer(NatsSession& session, std::string stream) : session_(session), stream_(std::move(stream)) {}
  ~EphemeralConsumer() {
    if (sub_ != nullptr) {
      if (!name_.empty()) (void)js_DeleteConsumer(session_.js(), stream_.c_str(), name_.c_str(), nullptr, nullptr);
      natsSubscription_Destroy(sub_);
    }
  }
  EphemeralConsumer(const EphemeralConsumer&) = delete;
  EphemeralConsumer& operator=(const EphemeralConsumer&) = delete;

  // Creates the consumer over `filter`, starting at stream sequence `start`.
  Status Create(const std::string& filter, uint64_t start, size_t batch) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream_.c_str();
    so.Config.Description = "fleetd replay";
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = start;
    // A pull consumer must ack (JetStream 2.9); AckAll lets one ack per pull do.
    so.Config.AckPolicy = js_AckAll;
    so.Config.AckWait = kAckWaitNs;
    so.Config.MaxAckPending = static_cast<int64_t>(batch) * 2;
    so.Config.InactiveThreshold = kInactiveThresholdNs;
    so.Config.MemoryStorage = true;
    so.Config.Replicas = 1;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_PullSubscribe(&sub_, session_.js(), filter.c_str(), nullptr, nullptr, &so, &jerr);
    if (s != NATS_OK) {
      sub_ = nullptr;
      return NatsError("cannot create a replay consumer on stream '" + stream_ + "'", s, jerr);
    }
    jsConsumerInfo* ci = nullptr;
    s = natsSubscription_GetConsumerInfo(&ci, sub_, nullptr, &jerr);
    if (s != NATS_OK) return NatsError("cannot read the replay consumer", s, jerr);
    if (ci->Name != nullptr) name_ = ci->Name;
    jsConsumerInfo_Destroy(ci);
    return Status::Ok();
  }

  natsSubscription* sub() const { return sub_; }

 private:
  NatsSession& session_;
  std::string stream_;
  std::string name_;
  natsSubscription* sub_ = nullptr;
};

// Pulls up to `batch` messages: at once if any are stored, else waiting a
// little. An empty list (ok) when there is nothing more.
natsStatus Pull(natsSubscription* sub, size_t batch, natsMsgList& list) {
  jsFetchRequest req;
  jsFetchRequest_Init(&req);
  req.Batch = static_cast<int>(batch);
  req.NoWait = true;
  req.Expires = kLastPullWaitMs * kNanosPerMs;
  natsStatus s = natsSubscription_FetchRequest(&list, sub, &req);
  if (s == NATS_OK && list.Count > 0) return s;
  natsMsgList_Destroy(&list);
  list = natsMsgList{};
  if (s != NATS_OK && s != NATS_NOT_FOUND && s != NATS_TIMEOUT) return s;
  s = natsSubscription_Fetch(&list, sub, static_cast<int>(batch), kLastPullWaitMs, nullptr);
  if (s == NATS_NOT_FOUND || s == NATS_TIMEOUT) {
    natsMsgList_Destroy(&list);
    list = natsMsgList{};
    return NATS_OK;
  }
  return s;
}

// The stored time (ns) of the first message at or after `seq` and before
// `end`, and its sequence; nullopt when there is none (deleted sequences).
Result<std::optional<std::pair<uint64_t, int64_t>>> FirstStoredAtOrAfter(NatsSession& session,
                                                                         const std::string& stream, uint64_t seq,
                                                                         uint64_t end) {
  for (; seq < end; ++seq) {
    natsMsg* msg = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetMsg(&msg, session.js(), stream.c_str(), seq, nullptr, &jerr);
    if (s == NATS_OK) {
      std::pair<uint64_t, int64_t> found{seq, natsMsg_GetTime(msg)};
      natsMsg_Destroy(msg);
      return std::optional(found);
    }
    if (s != NATS_NOT_FOUND && jerr != JSNoMessageFoundErr) {
      return NatsError("cannot read message " + std::to_string(seq) + " of stream '" + stream + "'", s, jerr);
    }
  }
  return std::optional<std::pair<uint64_t, int64_t>>();
}

// The first sequence in [first, last] stored at or after `from_ns`, or
// last + 1 when none is. A binary search over stored times (JetStream stamps
// messages in sequence order): about log2(messages) reads. Not the
// consumer's DeliverByStartTime, which nats-server 2.9.10 was seen to start
// at a later message than asked.
Result<uint64_t> StartSequence(NatsSession& session, const std::string& stream, uint64_t first, uint64_t last,
                               int64_t from_ns) {
  uint64_t lo = first, hi = last + 1, answer = last + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    auto probe = FirstStoredAtOrAfter(session, stream, mid, hi);
    if (!probe.ok()) return probe.status();
    if (!probe->has_value()) {
      hi = mid;  // nothing stored in [mid, hi)
    } else if ((*probe)->second >= from_ns) {
      answer = (*probe)->first;  // nothing stored in [mid, answer): the answer is here or before mid
      hi = mid;
    } else {
      lo = (*probe)->first + 1;
    }
  }
  return answer;
}

}  // namespace

Result<ReplayStats> ReplayStream(const NatsQueueOptions& options, const ReplayWindow& window,
                                 const ReplayBatchFn& on_batch, const ReplayProgressFn& progress) {
  if (window.batch_size < 1 || window.batch_size > kMaxBatch) {
    return Status(StatusCode::kInvalidArgument, "replay batch size must be in 1.." + std::to_string(kMaxBatch));
  }
  if (window.to && *window.to < window.from) {
    return Status(StatusCode::kInvalidArgument, "replay window ends before it starts (--to is before --from)");
  }
  auto connected = NatsSession::Connect(options, nullptr, nullptr);
  if (!connected.ok()) return connected.status();
  NatsSession& session = **connected;

  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, session.js(), options.stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) {
    if (jerr == JSStreamNotFoundErr || s == NATS_NOT_FOUND) {
      return Status(StatusCode::kNotFound, "JetStream stream '" + options.stream + "' does not exist on " +
                                               ServerList(options) + " (check stream= in the queue URL)");
    }
    return NatsError("cannot read JetStream stream '" + options.stream + "'", s, jerr);
  }
  const uint64_t end_seq = si->State.LastSeq;  // the replay ends here even if devices keep publishing
  const uint64_t first_seq = si->State.FirstSeq;
  const uint64_t stored = si->State.Msgs;
  jsStreamInfo_Destroy(si);

  ReplayStats stats;
  if (stored == 0 || end_seq < first_seq || (window.to && *window.to <= window.from)) return stats;
  auto start = StartSequence(session, options.stream, first_seq, end_seq, ToNanos(window.from));
  if (!start.ok()) return start.status();
  if (*start > end_seq) return stats;

  EphemeralConsumer consumer(session, options.stream);
  if (Status st = consumer.Create(StreamSubjects(options.prefix), *start, window.batch_size); !st.ok()) return st;

  const int64_t to_ns = window.to ? ToNanos(*window.to) : std::numeric_limits<int64_t>::max();
  std::vector<Envelope> batch;
  batch.reserve(window.batch_size);
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    Status st = on_batch(std::span<const Envelope>(batch));
    stats.delivered += batch.size();
    batch.clear();
    if (progress) progress(stats);
    return st;
  };

  uint64_t last_seq = 0;
  bool done = false;
  while (!done) {
    natsMsgList list{};
    s = Pull(consumer.sub(), window.batch_size, list);
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      return NatsError("replay interrupted after " + std::to_string(stats.read) + " messages", s);
    }
    if (list.Count == 0) break;  // nothing more stored (the end message may have expired meanwhile)
    for (int i = 0; i < list.Count && !done; ++i) {
      natsMsg* msg = list.Msgs[i];
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) continue;  // not a JetStream message: cannot happen
      const uint64_t seq = meta->Sequence.Stream;
      const int64_t stored_ns = meta->Timestamp;
      jsMsgMetaData_Destroy(meta);
      if (seq <= last_seq) continue;  // a redelivery of one already read
      if (seq > end_seq || stored_ns >= to_ns) {
        done = true;
        break;
      }
      last_seq = seq;
      if (seq == end_seq) done = true;
      const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
      auto decoded = DecodeEnvelopes({data, static_cast<size_t>(natsMsg_GetDataLength(msg))});
      if (!decoded.ok()) {
        ++stats.read;
        ++stats.undecodable;
        continue;
      }
      stats.read += decoded->size();
      for (Envelope& e : *decoded) {  // a message may carry several envelopes of its partition
        if (!window.device_uid.empty() && e.message.device_uid != window.device_uid) {
          ++stats.skipped_other_devices;
          continue;
        }
        batch.push_back(std::move(e));
        if (batch.size() >= window.batch_size) {
          if (Status st = flush(); !st.ok()) {
            natsMsgList_Destroy(&list);
            return st;
          }
        }
      }
    }
    // AckAll: the last message acks the whole pull on the ephemeral consumer.
    (void)natsMsg_Ack(list.Msgs[list.Count - 1], nullptr);
    natsMsgList_Destroy(&list);
  }
  if (Status st = flush(); !st.ok()) return st;
  if (progress) progress(stats);
  return stats;
}

}  // namespace fleetd::nats
