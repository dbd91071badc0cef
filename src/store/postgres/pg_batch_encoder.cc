// The staging row: seq (batch order), first (the first row of its (device,
// fix time) key in the batch: only those go to positions, so the server
// need not sort to find them), the envelope's ids, the columns positions
// keeps, the alarm name (events) and the JSON body.
#include "store/postgres/pg_batch_encoder.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

#include "core/message_json.h"
#include "store/postgres/pg_partitions.h"

namespace fleetd::pg {
namespace {

constexpr int16_t kStageColumns = 11;
constexpr int16_t kPositionColumns = 8;
constexpr int16_t kEventColumns = 5;

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

BatchEncoder::BatchEncoder(std::span<const Envelope> batch, Layout layout) : batch_(batch), layout_(layout) {
  rows_.reserve(batch.size());
  first_.reserve(batch.size());
  std::unordered_set<std::pair<int64_t, int64_t>, KeyHash> keys;  // (device, fix time)
  keys.reserve(batch.size());
  std::set<std::tuple<int64_t, int64_t, Alarm>> event_keys;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Message& m = batch[i].message;
    if (!m.ts || !HasDayPartition(*m.ts) || !HasDayPartition(m.received_at)) continue;
    rows_.push_back(i);
    const bool first = keys.emplace(batch[i].device_id, *m.ts).second;
    first_.push_back(first);
    first_count_ += first ? 1 : 0;
    days_.push_back(DayOf(*m.ts));
    if (auto alarm = EventAlarm(m);
        layout_ == Layout::kDirect && alarm && event_keys.emplace(batch[i].device_id, *m.ts, *alarm).second) {
      event_rows_.push_back(i);
    }
  }
  std::sort(days_.begin(), days_.end());
  days_.erase(std::unique(days_.begin(), days_.end()), days_.end());
}

std::string BatchEncoder::EventsCopyData() const {
  CopyWriter copy;
  std::string body;
  for (size_t i : event_rows_) {
    const Envelope& env = batch_[i];
    copy.BeginRow(kEventColumns);
    copy.Int64(env.tenant_id);
    copy.Int64(env.device_id);
    copy.Int64(*env.message.ts);
    copy.Text(AlarmName(*EventAlarm(env.message)));  // event_rows_ holds only messages with one
    body.clear();
    AppendMessageJson(body, env.message);
    copy.Text(body);
  }
  return copy.Finish();
}

std::string BatchEncoder::MarksSql() const {
  std::set<std::pair<int64_t, int64_t>> marks;
  for (size_t r = 0; r < rows_.size(); ++r) {
    if (!first_[r]) continue;
    const Envelope& env = batch_[rows_[r]];
    const int64_t ts = *env.message.ts;
    marks.emplace(env.device_id, ts - ((ts % kHourMs) + kHourMs) % kHourMs);
  }
  std::string devices, hours;
  for (const auto& [device, hour] : marks) {
    devices += (devices.empty() ? "" : ",") + std::to_string(device);
    hours += (hours.empty() ? "" : ",") + std::to_string(hour);
  }
  return "INSERT INTO rollup_dirty (device_id, hour) SELECT m.d, m.h FROM unnest('{" + devices + "}'::bigint[], '{" +
         hours +
         "}'::bigint[]) m(d, h)"
         " WHERE NOT EXISTS (SELECT FROM rollup_dirty r WHERE r.device_id = m.d AND r.hour = m.h)"
         " ON CONFLICT DO NOTHING";
}

std::string_view BatchEncoder::Body(const Message& m) {
  body_.clear();  // one buffer for every row: no allocation per row once it has grown
  AppendMessageJson(body_, m);
  return body_;
}

void BatchEncoder::Encode(size_t count) {
  for (size_t end = std::min(rows_.size(), encoded_ + count); encoded_ < end; ++encoded_) {
    const Envelope& env = batch_[rows_[encoded_]];
    const Message& m = env.message;
    if (layout_ == Layout::kDirect) {
      if (!first_[encoded_]) continue;
      copy_.BeginRow(kPositionColumns);
      copy_.Int64(env.tenant_id);
      copy_.Int64(env.device_id);
      copy_.Int64(*m.ts);
      copy_.Int64(m.received_at);
      copy_.OptionalDouble(m.lat);
      copy_.OptionalDouble(m.lng);
      copy_.OptionalDouble(m.speed_kmh);
      copy_.Text(Body(m));
      continue;
    }
    copy_.BeginRow(kStageColumns);
    copy_.Int64(static_cast<int64_t>(encoded_));
    copy_.Bool(first_[encoded_]);
    copy_.Int64(env.tenant_id);
    copy_.Int64(env.device_id);
    copy_.Int64(*m.ts);
    copy_.Int64(m.received_at);
    copy_.OptionalDouble(m.lat);
    copy_.OptionalDouble(m.lng);
    copy_.OptionalDouble(m.speed_kmh);
    auto alarm = EventAlarm(m);  // the staged alarm column becomes the event rows
    copy_.OptionalText(alarm ? std::optional<std::string_view>(AlarmName(*alarm)) : std::nullopt);
    copy_.Text(Body(m));
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
