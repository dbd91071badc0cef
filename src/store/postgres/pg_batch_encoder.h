// BatchEncoder: a WriteBatch's rows in the binary COPY layout of the staging
// table, encoded slice by slice.
//
// The constructor only picks the rows to store and the days they fall on
// (cheap); the JSON bodies are encoded as Next() is called, so WriteBatch
// can stream a slice to the server while it encodes the next and the
// server's COPY parsing overlaps the client's encoding. All() finishes the
// encoding, for a retry that resends everything.
//
// Two layouts. kStage: the staging table's rows (every row, flagged `first`
// or not), for the INSERT ... SELECT paths. kDirect: positions' own columns
// for the first row of each (device, fix time) key only, for a COPY straight
// into positions; the events those rows carry (first of each (device, fix
// time, alarm), as the staging path keeps them) and the rollup marks are
// then the client's to produce: EventsCopyData(), MarksSql().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "fleetd/queue.h"
#include "store/postgres/pg_copy_writer.h"

namespace fleetd::pg {

class BatchEncoder {
 public:
  // The staging table these rows are for (a temporary table, one per session).
  static const char* StageTableDdl();

  // Rows with a fix time and a receive time schema v1 can carry ([1970,
  // 9999]); the others are not stored. `batch` must outlive the encoder.
  enum class Layout { kStage, kDirect };
  explicit BatchEncoder(std::span<const Envelope> batch, Layout layout = Layout::kStage);

  // The rows to store (in-batch repeats included; they count as duplicates).
  int64_t rows() const { return static_cast<int64_t>(rows_.size()); }
  // Of those, the first of each (device, fix time) key: what positions gets.
  int64_t first_rows() const { return first_count_; }
  // kDirect: the binary COPY data of the events table's (tenant_id,
  // device_id, ts, type, body) for the alarm rows, and how many there are.
  std::string EventsCopyData() const;
  int64_t event_rows() const { return static_cast<int64_t>(event_rows_.size()); }
  // kDirect: one INSERT adding the rollup marks of the first rows' (device,
  // hour) pairs not marked yet (numbers only, formatted here).
  std::string MarksSql() const;
  // The days of the rows' fix times, ascending, each once.
  const std::vector<int64_t>& days() const { return days_; }

  // The next slice of COPY data (header first, trailer last), or empty once
  // everything was returned.
  std::string_view Next();
  // The whole COPY data, encoding what Next() has not reached yet.
  std::string_view All();

 private:
  static constexpr size_t kRowsPerSlice = 100;
  struct KeyHash {
    size_t operator()(const std::pair<int64_t, int64_t>& k) const;
  };
  void Encode(size_t count);

  // `m`'s JSON body, valid until the next call.
  std::string_view Body(const Message& m);

  std::span<const Envelope> batch_;
  std::string body_;
  Layout layout_;
  std::vector<size_t> rows_;  // indices into batch_ of the rows to store
  std::vector<bool> first_;   // per rows_ entry: the first of its key
  int64_t first_count_ = 0;
  std::vector<size_t> event_rows_;  // kDirect: indices into batch_, first of each event key
  std::vector<int64_t> days_;
  CopyWriter copy_;
  size_t encoded_ = 0;  // rows_ encoded
  size_t sent_ = 0;     // bytes of copy_ returned by Next()
  bool ended_ = false;
};

}  // namespace fleetd::pg
