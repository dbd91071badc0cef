// Framer + decoder throughput over the real vector packets that decode to a
// message (messages/s). The output is reused, as a listener reuses it.
#include <benchmark/benchmark.h>

#include "protocol/testing/decode_loop.h"

#include "protocol/h02/h02_decoder.h"
#include "protocol/h02/h02_framer.h"
#include "protocol/h02/h02_vectors.h"

namespace fleetd {
namespace {

// Every vector packet that decodes strictly; `positions_only` keeps those with a fix.
std::vector<uint8_t> Stream(bool positions_only, size_t* frames) {
  std::vector<uint8_t> stream;
  *frames = 0;
  auto vectors = h02::LoadH02Vectors();
  if (!vectors) return stream;
  H02Decoder decoder;
  for (const auto& c : vectors->cases) {
    DecodeSession session{"1234567890", false, ""};
    DecodeOutput out;
    if (!decoder.Decode(c.packet, session, 1, out).ok() || out.messages.empty()) continue;
    if (positions_only && !out.messages[0].has_position()) continue;
    stream.insert(stream.end(), c.packet.begin(), c.packet.end());
    ++*frames;
  }
  return stream;
}

void FrameAndDecode(benchmark::State& state, bool positions_only) {
  size_t frames_per_pass = 0;
  const std::vector<uint8_t> stream = Stream(positions_only, &frames_per_pass);
  if (frames_per_pass == 0) {
    state.SkipWithError("no vectors");
    return;
  }
  const H02Framer framer;
  const H02Decoder decoder;
  DecodeSession session{"1234567890", false, ""};
  DecodeOutput out;
  out.messages.reserve(1);
  out.reply.reserve(64);
  int64_t messages = 0;
  for (auto _ : state) {
    messages += vectors::FrameAndDecodeStream(framer, decoder, session, stream, out);
  }
  state.SetItemsProcessed(messages);
  state.counters["frames_per_pass"] = static_cast<double>(frames_per_pass);
}

void BM_FrameAndDecodeAll(benchmark::State& state) { FrameAndDecode(state, false); }
void BM_FrameAndDecodePositions(benchmark::State& state) { FrameAndDecode(state, true); }
BENCHMARK(BM_FrameAndDecodeAll);
BENCHMARK(BM_FrameAndDecodePositions);

}  // namespace
}  // namespace fleetd
