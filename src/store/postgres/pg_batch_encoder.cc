// The staging row: seq (batch order), first (the first row of its (device,
// fix time) key in the batch: only those go to positions, so the server
// need not sort to find them), the envelope's ids, the columns positions
// keeps, the alarm name (events) and the JSON body.
#include "store/postgres/pg_batch_encoder.h"

#include <algorithm>
#include <functional>

#include "core/message_json.h"
#include "store/postgres/pg_partitions.h"

namespace fleetd::pg {
namespace {

constexpr int16_t kStageColumns = 11;

}  // namespace

const char* BatchEncoder::StageTableDdl() {
  return "CREATE TEMP TABLE IF NOT EXISTS fleetd_stage ("
         " seq bigint NOT NULL, first boolean NOT NULL, tenant_id bigint NOT NULL, device_id bigint NOT NULL,"
         " ts bigint NOT NULL, received_at bigint NOT NULL, lat double precision, lng double precision,"
         " speed_kmh double precision, alarm text, body text NOT NULL) ON COMMIT DELETE ROWS";
}

size_t BatchEncoder::KeyHash::operator()(const std::pair<int64_t, int64_t>& k) const {
  return std::hash<uint64_t>()(static_cast<uint64_t>(k.first) * 0x9e3779b97f4a7c15ULL ^
                               static_cast<uint64_t>(k.second));
}

BatchEncoder::BatchEncoder(std::span<const Envelope> batch) : batch_(batch) {
  rows_.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const Message& m = batch[i].message;
    if (!m.ts || !HasDayPartition(*m.ts) || !HasDayPartition(m.received_at)) continue;
    rows_.push_back(i);
    days_.push_back(DayOf(*m.ts));
  }
  std::sort(days_.begin(), days_.end());
  days_.erase(std::unique(days_.begin(), days_.end()), days_.end());
  keys_.reserve(rows_.size());
}

void BatchEncoder::Encode(size_t count) {
  for (size_t end = std::min(rows_.size(), encoded_ + count); encoded_ < end; ++encoded_) {
    const Envelope& env = batch_[rows_[encoded_]];
    const Message& m = env.message;
    copy_.BeginRow(kStageColumns);
    copy_.Int64(static_cast<int64_t>(encoded_));
    copy_.Bool(keys_.emplace(env.device_id, *m.ts).second);
    copy_.Int64(env.tenant_id);
    copy_.Int64(env.device_id);
    copy_.Int64(*m.ts);
    copy_.Int64(m.received_at);
    copy_.OptionalDouble(m.lat);
    copy_.OptionalDouble(m.lng);
    copy_.OptionalDouble(m.speed_kmh);
    copy_.OptionalText(m.alarm ? std::optional<std::string_view>(AlarmName(*m.alarm)) : std::nullopt);
    copy_.Text(MessageToJsonText(m));
  }
  if (encoded_ == rows_.size() && !ended_) {
    copy_.End();
    ended_ = true;
  }
}

std::string_view BatchEncoder::Next() {
  Encode(kRowsPerSlice);
  std::string_view slice = copy_.data().substr(sent_);
  sent_ = copy_.size();
  return slice;
}

std::string_view BatchEncoder::All() {
  Encode(rows_.size());
  return copy_.data();
}

}  // namespace fleetd::pg
