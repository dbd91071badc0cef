// Framer + decoder throughput over the real position packets of the shared
// vectors (frames/s). The output is reused, as a listener reuses it.
#include <benchmark/benchmark.h>

#include "protocol/testing/decode_loop.h"

#include "protocol/gt06/gt06_decoder.h"
#include "protocol/gt06/gt06_framer.h"
#include "protocol/gt06/gt06_vectors.h"
#include "protocol/gt06/gt06_wire.h"

namespace fleetd {
namespace {

// Every vector packet that decodes, strictly, to a message with a position.
std::vector<uint8_t> PositionStream(size_t* frames) {
  std::vector<uint8_t> stream;
  *frames = 0;
  auto vectors = gt06::LoadGt06Vectors();
  if (!vectors) return stream;
  Gt06Decoder decoder;
  for (const auto& c : vectors->cases) {
    DecodeSession session{"123456789012345", false, c.model};
    DecodeOutput out;
    if (!decoder.Decode(c.packet, session, 1, out).ok() || out.messages.empty()) continue;
    if (!out.messages[0].has_position()) continue;
    stream.insert(stream.end(), c.packet.begin(), c.packet.end());
    ++*frames;
  }
  return stream;
}

void BM_FrameAndDecodePositions(benchmark::State& state) {
  size_t frames_per_pass = 0;
  const std::vector<uint8_t> stream = PositionStream(&frames_per_pass);
  if (frames_per_pass == 0) {
    state.SkipWithError("no vectors");
    return;
  }
  const Gt06Framer framer;
  const Gt06Decoder decoder;
  DecodeSession session{"123456789012345", false, ""};
  DecodeOutput out;
  out.messages.reserve(1);
  out.reply.reserve(64);
  int64_t frames = 0;
  for (auto _ : state) {
    // Every packet of the stream decodes to exactly one message: messages = frames.
    frames += vectors::FrameAndDecodeStream(framer, decoder, session, stream, out);
  }
  state.SetItemsProcessed(frames);
  state.counters["frames_per_pass"] = static_cast<double>(frames_per_pass);
}
BENCHMARK(BM_FrameAndDecodePositions);

// The same stream through the framer and the envelope check (CRC) only: the
// share of the cost that is not building messages.
void BM_FrameAndCheckEnvelope(benchmark::State& state) {
  size_t frames_per_pass = 0;
  const std::vector<uint8_t> stream = PositionStream(&frames_per_pass);
  const Gt06Framer framer;
  int64_t frames = 0;
  for (auto _ : state) {
    std::span<const uint8_t> rest(stream);
    while (!rest.empty()) {
      const FrameResult r = framer.Next(rest);
      if (r.kind == FrameResult::Kind::kNeedMore) break;
      if (r.kind == FrameResult::Kind::kFrame) {
        gt06::Packet packet;
        benchmark::DoNotOptimize(gt06::ParsePacket(rest.first(r.consumed), false, packet));
        ++frames;
      }
      rest = rest.subspan(r.consumed);
    }
  }
  state.SetItemsProcessed(frames);
}
BENCHMARK(BM_FrameAndCheckEnvelope);

}  // namespace
}  // namespace fleetd
