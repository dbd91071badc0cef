// LeaseTable: the KV operations behind consume=auto. Values are short
// strings; every lease write names the revision it replaces.
#include "queue/nats/nats_leases.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string_view>
#include <utility>

namespace fleetd::nats {
namespace {

constexpr int64_t kNanosPerMs = 1000000;
constexpr std::string_view kFree = "free";
constexpr std::string_view kGone = "gone";

std::string LeaseKey(size_t partition) { return "p." + std::to_string(partition); }

std::string ValueOf(kvEntry* e) {
  const void* data = kvEntry_Value(e);
  int len = kvEntry_ValueLen(e);
  return data != nullptr && len > 0 ? std::string(static_cast<const char*>(data), static_cast<size_t>(len))
                                    : std::string();
}

// A hostname reduced to characters that are safe in logs and KV values.
std::string SafeHost() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  std::string host;
  for (const char* c = buf; *c != '\0' && host.size() < 64; ++c) {
    bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
              *c == '.' || *c == '_';
    host += ok ? *c : '_';
  }
  return host.empty() ? "unknown" : host;
}

}  // namespace

std::string NewWorkerId() {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(r));
  return std::string(hex) + " " + SafeHost() + " " + std::to_string(getpid());
}

size_t FairShare(size_t partitions, size_t workers) {
  workers = std::max<size_t>(workers, 1);
  return (partitions + workers - 1) / workers;
}

std::string LeaseBucketName(const NatsQueueOptions& o) { return o.stream + "_" + o.durable + "_leases"; }

Result<std::unique_ptr<LeaseTable>> LeaseTable::Open(std::shared_ptr<NatsSession> session,
                                                     const NatsQueueOptions& o, std::string worker_id) {
  std::unique_ptr<LeaseTable> t(new LeaseTable());
  t->session_ = std::move(session);
  t->worker_id_ = std::move(worker_id);
  t->heartbeat_key_ = "w." + t->worker_id_.substr(0, t->worker_id_.find(' '));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = std::max<int64_t>(o.lease.count() / 3, 200);
  natsStatus s = natsConnection_JetStream(&t->js_, t->session_->connection(), &jo);
  if (s != NATS_OK) return NatsError("cannot create a JetStream context for the lease bucket", s);

  const std::string bucket = LeaseBucketName(o);
  const int64_t ttl = o.lease.count() * kNanosPerMs;
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.Description = "fleetd partition leases";
  cfg.History = 1;
  cfg.TTL = ttl;
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = o.replicas;
  s = js_CreateKeyValue(&t->kv_, t->js_, &cfg);
  if (s != NATS_OK) {
    // It exists (possibly with another config): bind it and compare the TTL.
    if (js_KeyValue(&t->kv_, t->js_, bucket.c_str()) != NATS_OK) {
      return NatsError("cannot create the lease bucket '" + bucket + "'", s);
    }
  }
  jsStreamInfo* si = nullptr;
  const std::string stream = "KV_" + bucket;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_GetStreamInfo(&si, t->js_, stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK) return NatsError("cannot read the lease bucket '" + bucket + "'", s, jerr);
  const int64_t have = si->Config != nullptr ? si->Config->MaxAge : 0;
  jsStreamInfo_Destroy(si);
  if (have != ttl) {
    return Status(StatusCode::kInvalidArgument,
                  "lease bucket '" + bucket + "' has a TTL of " + std::to_string(have / kNanosPerMs) +
                      "ms; this process has lease=" + std::to_string(o.lease.count()) +
                      "ms (every process sharing the stream must use the same lease; stop them all and delete the "
                      "bucket to change it)");
  }
  return t;
}

LeaseTable::~LeaseTable() {
  if (kv_ != nullptr) kvStore_Destroy(kv_);
  if (js_ != nullptr) jsCtx_Destroy(js_);
}

Status LeaseTable::Heartbeat() {
  natsStatus s = kvStore_PutString(nullptr, kv_, heartbeat_key_.c_str(), worker_id_.c_str());
  return s == NATS_OK ? Status::Ok() : NatsError("cannot write the worker heartbeat", s);
}

void LeaseTable::Leave() { kvStore_Delete(kv_, heartbeat_key_.c_str()); }

Result<size_t> LeaseTable::LiveWorkers() {
  kvKeysList keys{};
  natsStatus s = kvStore_Keys(&keys, kv_, nullptr);
  if (s == NATS_NOT_FOUND) return size_t{0};
  if (s != NATS_OK) return NatsError("cannot list the lease bucket", s);
  size_t n = 0;
  for (int i = 0; i < keys.Count; ++i) {
    if (std::string_view(keys.Keys[i]).substr(0, 2) == "w.") ++n;
  }
  kvKeysList_Destroy(&keys);
  return n;
}

Result<LeaseTable::Claim> LeaseTable::TryClaim(size_t partition) {
  const std::string key = LeaseKey(partition);
  Claim c;
  uint64_t rev = 0;
  natsStatus s = kvStore_CreateString(&rev, kv_, key.c_str(), worker_id_.c_str());
  if (s == NATS_OK) {
    c.acquired = true;  // absent or expired: its last holder may have left messages un-acked
    c.revision = rev;
    return c;
  }
  kvEntry* e = nullptr;
  s = kvStore_Get(&e, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return c;  // raced with an expiry; next round
  if (s != NATS_OK) return NatsError("cannot read lease " + key, s);
  const std::string value = ValueOf(e);
  const uint64_t have = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  if (value != kFree && value != kGone) return c;  // another worker's
  s = kvStore_UpdateString(&rev, kv_, key.c_str(), worker_id_.c_str(), have);
  if (s != NATS_OK) return c;  // somebody else was faster
  c.acquired = true;
  c.clean = value == kFree;
  c.revision = rev;
  return c;
}

Result<uint64_t> LeaseTable::Renew(size_t partition, uint64_t revision) {
  const std::string key = LeaseKey(partition);
  uint64_t rev = 0;
  natsStatus s = kvStore_UpdateString(&rev, kv_, key.c_str(), worker_id_.c_str(), revision);
  if (s == NATS_OK) return rev;
  // A refusal by JetStream (wrong last sequence) is an answer; a timeout or
  // a closed connection is not. Tell them apart by reading the key.
  kvEntry* e = nullptr;
  natsStatus g = kvStore_Get(&e, kv_, key.c_str());
  if (g == NATS_NOT_FOUND) return Status(StatusCode::kAlreadyExists, "lease " + key + " expired");
  if (g != NATS_OK) return NatsError("cannot renew lease " + key, s);
  const uint64_t have = kvEntry_Revision(e);
  const std::string value = ValueOf(e);
  kvEntry_Destroy(e);
  if (have != revision || value != worker_id_) {
    return Status(StatusCode::kAlreadyExists, "lease " + key + " is now '" + value + "'");
  }
  return NatsError("cannot renew lease " + key, s);
}

Status LeaseTable::Release(size_t partition, uint64_t revision, bool clean) {
  const std::string key = LeaseKey(partition);
  const std::string value(clean ? kFree : kGone);
  natsStatus s = kvStore_UpdateString(nullptr, kv_, key.c_str(), value.c_str(), revision);
  return s == NATS_OK ? Status::Ok() : NatsError("cannot release lease " + key, s);
}

Result<std::string> LeaseTable::Holder(size_t partition) {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv_, LeaseKey(partition).c_str());
  if (s == NATS_NOT_FOUND) return std::string();
  if (s != NATS_OK) return NatsError("cannot read lease", s);
  std::string value = ValueOf(e);
  kvEntry_Destroy(e);
  return value;
}

}  // namespace fleetd::nats
