// The live feed's JSON per message: the text writer against the nlohmann
// tree it replaced (stream_messages_tree_reference.h), on a real GT06
// position (a vector packet: a fix, a cell tower and a few attributes).
// An API node writes one telemetry update per live message it forwards.
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "api/stream_messages.h"
#include "api/stream_messages_tree_reference.h"
#include "core/message_json.h"
#include "protocol/registry.h"
#include "protocol/testing/vector_messages.h"

namespace fleetd::api {
namespace {

// The first GT06 vector position of a moving vehicle with a cell tower and
// at least two attributes (gt06-180: 0x22 location, ignition, GPS realtime).
std::optional<vectors::DecodedVectorMessage> FindTypicalGt06Position() {
  ProtocolRegistry registry;
  RegisterBuiltinProtocols(registry);
  auto decoded = vectors::DecodeVectorMessages(*registry.Find("gt06"));
  if (!decoded) return std::nullopt;
  for (auto& d : *decoded) {
    const Message& m = d.message;
    if (m.kind == MessageKind::kPosition && m.has_position() && m.speed_kmh.value_or(0) > 0 && m.cell &&
        m.attributes.size() >= 2) {
      return std::move(d);
    }
  }
  return std::nullopt;
}

// Found once for every benchmark; nullptr, and the benchmark skipped, without the vectors.
const vectors::DecodedVectorMessage* TypicalGt06Position(benchmark::State& state) {
  static const std::optional<vectors::DecodedVectorMessage> typical = FindTypicalGt06Position();
  if (!typical) state.SkipWithError("no GT06 vectors");
  return typical ? &*typical : nullptr;
}

template <typename Write>
void RunPerMessage(benchmark::State& state, Write write) {
  const auto* typical = TypicalGt06Position(state);
  if (!typical) return;
  for (auto _ : state) benchmark::DoNotOptimize(write(typical->message));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(typical->case_id);
}

void BM_TelemetryUpdateTree(benchmark::State& state) { RunPerMessage(state, reference::TreeTelemetryUpdateJson); }
BENCHMARK(BM_TelemetryUpdateTree);

void BM_TelemetryUpdateText(benchmark::State& state) { RunPerMessage(state, TelemetryUpdateJson); }
BENCHMARK(BM_TelemetryUpdateText);

// The stored body of the same message, the store's and live state's path,
// which now writes its members through the same per-member function.
void BM_MessageToJsonText(benchmark::State& state) { RunPerMessage(state, MessageToJsonText); }
BENCHMARK(BM_MessageToJsonText);

// A session's first message: the snapshot of 1,000 vehicles.
template <typename Snapshot>
void RunSnapshot(benchmark::State& state, Snapshot snapshot) {
  const auto* typical = TypicalGt06Position(state);
  if (!typical) return;
  std::vector<Message> latest(1000, typical->message);
  for (size_t i = 0; i < latest.size(); ++i) latest[i].device_uid = std::to_string(100000000000000 + i);
  for (auto _ : state) benchmark::DoNotOptimize(snapshot(latest, std::nullopt));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(latest.size()));
}

void BM_Snapshot1000Tree(benchmark::State& state) { RunSnapshot(state, reference::TreeSnapshotJson); }
BENCHMARK(BM_Snapshot1000Tree);

void BM_Snapshot1000Text(benchmark::State& state) { RunSnapshot(state, SnapshotJson); }
BENCHMARK(BM_Snapshot1000Text);

}  // namespace
}  // namespace fleetd::api
