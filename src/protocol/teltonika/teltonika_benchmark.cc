// Framer + decoder throughput in AVL records/s: over the real codec 8
// packets of the shared vectors and over encoder-built packets with a
// typical FMB IO set. The output is reused, as a listener reuses it.
#include <benchmark/benchmark.h>

#include "protocol/testing/decode_loop.h"

#include "core/time_util.h"
#include "protocol/teltonika/teltonika_decoder.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "protocol/teltonika/teltonika_framer.h"
#include "protocol/teltonika/teltonika_vectors.h"

namespace fleetd {
namespace {

// Every codec 8 vector packet that decodes strictly, back to back.
std::vector<uint8_t> VectorStream(int64_t* records) {
  std::vector<uint8_t> stream;
  *records = 0;
  auto vectors = teltonika::LoadTeltonikaVectors();
  if (!vectors) return stream;
  TeltonikaDecoder decoder;
  for (const auto& c : vectors->cases) {
    if (c.framing != "tcp" || c.packet.size() < 9 || c.packet[8] != 0x08) continue;
    DecodeSession session{"356307042441013", false, c.model};
    DecodeOutput out;
    if (!decoder.Decode(c.packet, session, 1, out).ok()) continue;
    stream.insert(stream.end(), c.packet.begin(), c.packet.end());
    *records += static_cast<int64_t>(out.messages.size());
  }
  return stream;
}

// 10 packets of 10 records, each with the IO elements an FMB130 sends by default.
std::vector<uint8_t> EncodedStream(int64_t* records) {
  std::vector<uint8_t> stream;
  *records = 0;
  for (int p = 0; p < 10; ++p) {
    std::vector<teltonika::AvlRecord> batch(10);
    for (size_t i = 0; i < batch.size(); ++i) {
      auto& r = batch[i];
      r.time_ms = *MakeTimestamp(2026, 5, 21, 10, p, static_cast<int>(i));
      r.lat = 54.6872 + 0.0001 * static_cast<double>(i);
      r.lng = 25.2797;
      r.altitude_m = 112;
      r.angle = 90;
      r.satellites = 11;
      r.speed_kmh = 50;
      r.io1 = {{239, 1}, {240, 1}, {21, 4}, {200, 0}, {69, 1}, {1, 0}, {179, 0}};
      r.io2 = {{181, 9}, {182, 7}, {66, 12850}, {24, 50}, {67, 4096}, {68, 0}};
      r.io4 = {{16, 1234567}, {241, 24602}, {199, 870}};
    }
    const auto packet = teltonika::EncodeCodec8(batch);
    stream.insert(stream.end(), packet.begin(), packet.end());
    *records += 10;
  }
  return stream;
}

void Run(benchmark::State& state, const std::vector<uint8_t>& stream, int64_t records_per_pass) {
  if (records_per_pass == 0) {
    state.SkipWithError("no packets");
    return;
  }
  const TeltonikaFramer framer;
  const TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, ""};
  DecodeOutput out;
  out.messages.reserve(64);
  out.reply.reserve(16);
  int64_t records = 0;
  for (auto _ : state) {
    records += vectors::FrameAndDecodeStream(framer, decoder, session, stream, out);
  }
  state.SetItemsProcessed(records);
  state.counters["records_per_pass"] = static_cast<double>(records_per_pass);
}

void BM_Codec8VectorRecords(benchmark::State& state) {
  int64_t per_pass = 0;
  const auto stream = VectorStream(&per_pass);
  Run(state, stream, per_pass);
}
BENCHMARK(BM_Codec8VectorRecords);

void BM_Codec8EncodedRecords(benchmark::State& state) {
  int64_t per_pass = 0;
  const auto stream = EncodedStream(&per_pass);
  Run(state, stream, per_pass);
}
BENCHMARK(BM_Codec8EncodedRecords);

}  // namespace
}  // namespace fleetd
