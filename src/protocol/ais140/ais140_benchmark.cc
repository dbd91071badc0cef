// Decode throughput over the shared AIS-140 sentences (lenient, so every one decodes).
#include <benchmark/benchmark.h>

#include "protocol/ais140/ais140_decoder.h"
#include "protocol/ais140/ais140_encoder.h"
#include "protocol/ais140/ais140_vectors.h"

namespace fleetd {
namespace {

void BM_DecodeVectors(benchmark::State& state) {
  const auto vectors = ais140::LoadAis140Vectors();
  if (!vectors) {
    state.SkipWithError("shared vectors not found");
    return;
  }
  const Ais140Decoder decoder;
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& c : vectors->cases) {
      DecodeSession session{"", true, ""};
      DecodeOutput out;
      benchmark::DoNotOptimize(decoder.Decode(c.packet, session, 1, out));
      ++n;
    }
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_DecodeVectors);

void BM_DecodeNrm(benchmark::State& state) {
  const auto sentence = ais140::EncodeNrm({});
  const Ais140Decoder decoder;
  DecodeSession session;
  for (auto _ : state) {
    DecodeOutput out;
    benchmark::DoNotOptimize(decoder.Decode(sentence, session, 1, out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeNrm);

}  // namespace
}  // namespace fleetd
