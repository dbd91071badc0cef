// Stream and consumer creation through the libnats JetStream management API.
#include "queue/nats/jetstream_setup.h"

#include <memory>
#include <string>
#include <vector>

#include "queue/nats/nats_subjects.h"

namespace fleetd::nats {
namespace {

constexpr int64_t kNanosPerMs = 1000000;

std::string PartitionsDescription(size_t partitions) {
  return "fleetd queue, partitions=" + std::to_string(partitions);
}

void FillStreamConfig(jsStreamConfig& cfg, const NatsQueueOptions& o, const std::string& description,
                      const char** subjects) {
  jsStreamConfig_Init(&cfg);
  cfg.Name = o.stream.c_str();
  cfg.Description = description.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Retention = js_LimitsPolicy;  // kept after consumption: replay re-reads a window
  cfg.Storage = js_FileStorage;
  cfg.Discard = js_DiscardOld;
  cfg.MaxAge = o.max_age.count() * kNanosPerMs;
  cfg.MaxBytes = o.max_bytes;
  cfg.MaxMsgs = -1;
  cfg.MaxConsumers = -1;
  cfg.MaxMsgsPerSubject = -1;
  cfg.MaxMsgSize = -1;
  cfg.Duplicates = o.dedup_window.count() * kNanosPerMs;
  cfg.Replicas = o.replicas;
}

using StreamInfo = std::unique_ptr<jsStreamInfo, decltype(&jsStreamInfo_Destroy)>;

// Adds the stream, or finds it already there: then `*existing` is what the
// server holds, to be checked. Two nodes starting at once both add it, and
// the later one's error is then "subjects overlap" (the new stream holds
// them) rather than "name in use": either way, a stream of this name that
// exists now is the one to check.
Status AddOrFindStream(NatsSession& session, jsStreamConfig& cfg, StreamInfo* existing) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus added = js_AddStream(&si, session.js(), &cfg, nullptr, &jerr);
  if (added == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::Ok();
  }
  const jsErrCode add_error = jerr;
  if (js_GetStreamInfo(&si, session.js(), cfg.Name, nullptr, &jerr) == NATS_OK) {
    existing->reset(si);
    return Status::Ok();
  }
  return NatsError(std::string("cannot create JetStream stream '") + cfg.Name + "' (is nats-server running with -js?)",
                   added, add_error);
}

}  // namespace

Status EnsureStream(NatsSession& session, const NatsQueueOptions& o) {
  const std::string subject = StreamSubjects(o.prefix);
  const std::string description = PartitionsDescription(o.partitions);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  FillStreamConfig(cfg, o, description, subjects);

  StreamInfo existing(nullptr, &jsStreamInfo_Destroy);
  if (Status st = AddOrFindStream(session, cfg, &existing); !st.ok() || !existing) return st;

  // It exists, maybe with another configuration: check what must not change.
  const jsStreamConfig* have = existing->Config;
  bool has_subject = false;
  for (int i = 0; have != nullptr && i < have->SubjectsLen; ++i) {
    if (subject == have->Subjects[i]) has_subject = true;
  }
  const std::string have_description = have != nullptr && have->Description != nullptr ? have->Description : "";
  if (!has_subject) {
    return Status(StatusCode::kInvalidArgument,
                  "JetStream stream '" + o.stream + "' exists but does not hold '" + subject + "' (another prefix?)");
  }
  if (have_description.rfind("fleetd queue, partitions=", 0) == 0 && have_description != description) {
    return Status(StatusCode::kInvalidArgument, "JetStream stream '" + o.stream + "' was created with " +
                                                    have_description.substr(14) +
                                                    "; this process has partitions=" + std::to_string(o.partitions) +
                                                    " (changing it would reorder devices; use a new stream)");
  }
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_UpdateStream(&si, session.js(), &cfg, nullptr, &jerr);
  if (s != NATS_OK) return NatsError("cannot update JetStream stream '" + o.stream + "'", s, jerr);
  jsStreamInfo_Destroy(si);
  return Status::Ok();
}

Status EnsureEventStream(NatsSession& session, const NatsQueueOptions& o) {
  const std::string name = EventStreamName(o.stream);
  const std::string subject = EventStreamSubjects(o.prefix);
  const std::string description = "fleetd events";
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  FillStreamConfig(cfg, o, description, subjects);
  cfg.Name = name.c_str();

  StreamInfo existing(nullptr, &jsStreamInfo_Destroy);
  if (Status st = AddOrFindStream(session, cfg, &existing); !st.ok() || !existing) return st;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_UpdateStream(&si, session.js(), &cfg, nullptr, &jerr);
  if (s != NATS_OK) {
    return NatsError("cannot create or update JetStream stream '" + name + "' on '" + subject + "'", s, jerr);
  }
  jsStreamInfo_Destroy(si);
  return Status::Ok();
}

Result<PartitionConsumer> CheckPartitionConsumer(const jsConsumerInfo& info, const NatsQueueOptions& o,
                                                 size_t partition) {
  const std::string name = ConsumerName(o.durable, partition);
  const std::string filter = PartitionSubject(o.prefix, partition);
  const jsConsumerConfig* cfg = info.Config;
  if (cfg == nullptr) return Status(StatusCode::kInternal, "JetStream consumer '" + name + "' has no config");
  if (cfg->DeliverSubject != nullptr && cfg->DeliverSubject[0] != '\0') {
    return Status(StatusCode::kInvalidArgument, "JetStream consumer '" + name + "' is a push consumer");
  }
  if (cfg->FilterSubject == nullptr || filter != cfg->FilterSubject) {
    return Status(StatusCode::kInvalidArgument, "JetStream consumer '" + name + "' filters '" +
                                                       (cfg->FilterSubject ? cfg->FilterSubject : "") +
                                                       "', not its partition's '" + filter + "'");
  }
  return PartitionConsumer{cfg->AckPolicy == js_AckAll};
}

Result<std::vector<PartitionConsumer>> EnsureConsumers(NatsSession& session, const NatsQueueOptions& o) {
  std::vector<PartitionConsumer> consumers;
  consumers.reserve(o.partitions);
  for (size_t p = 0; p < o.partitions; ++p) {
    const std::string name = ConsumerName(o.durable, p);
    const std::string filter = PartitionSubject(o.prefix, p);
    jsConsumerConfig cfg;
    jsConsumerConfig_Init(&cfg);
    cfg.Durable = name.c_str();
    cfg.FilterSubject = filter.c_str();
    cfg.DeliverPolicy = js_DeliverAll;
    // AckAll: one ack per partition and batch covers every earlier message.
    // Safe because a partition's messages are written in order and a
    // delivery is acked only after its write (and Stored() only after it),
    // so everything below an acked message is written. Messages fleetd
    // hands back (nak) are never below a later ack: they are the buffered
    // tail, or already written.
    cfg.AckPolicy = js_AckAll;
    cfg.AckWait = o.ack_wait.count() * kNanosPerMs;
    cfg.MaxDeliver = -1;  // a store outage must not drop device data
    cfg.MaxAckPending = o.max_ack_pending;
    cfg.ReplayPolicy = js_ReplayInstant;
    cfg.Replicas = 0;  // the stream's

    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    auto add_or_update = [&] {
      natsStatus st = js_AddConsumer(&ci, session.js(), o.stream.c_str(), &cfg, nullptr, &jerr);
      if (st != NATS_OK && (jerr == JSConsumerNameExistErr || jerr == 10148 /* exists, other config */)) {
        st = js_UpdateConsumer(&ci, session.js(), o.stream.c_str(), &cfg, nullptr, &jerr);
      }
      return st;
    };
    natsStatus s = add_or_update();
    if (s != NATS_OK) {
      // A consumer made by an earlier fleetd acks explicitly, and JetStream
      // cannot change a consumer's ack policy ("ack policy can not be
      // updated"): keep it. The consumer reads the policy back and then acks
      // every message. Any other error comes back the same way here.
      const natsStatus first = s;
      const jsErrCode first_jerr = jerr;
      cfg.AckPolicy = js_AckExplicit;
      jerr = static_cast<jsErrCode>(0);
      s = add_or_update();
      if (s != NATS_OK) {
        s = first;
        jerr = first_jerr;
      }
    }
    if (s != NATS_OK) {
      return NatsError("cannot create JetStream consumer '" + name + "' on stream '" + o.stream + "'", s, jerr);
    }
    auto checked = CheckPartitionConsumer(*ci, o, p);
    jsConsumerInfo_Destroy(ci);
    if (!checked.ok()) return checked.status();
    consumers.push_back(*checked);
  }
  return consumers;
}


}  // namespace fleetd::nats
