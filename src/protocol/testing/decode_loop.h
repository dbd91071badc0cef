// The framer + decoder loop every protocol benchmark times: a whole stream
// cut into frames and decoded, output buffers reused as a listener reuses
// them. Returns the number of messages decoded.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "fleetd/decoder.h"
#include "fleetd/framer.h"

namespace fleetd::vectors {

inline int64_t FrameAndDecodeStream(const Framer& framer, const Decoder& decoder, DecodeSession& session,
                                    std::span<const uint8_t> stream, DecodeOutput& out) {
  int64_t messages = 0;
  while (!stream.empty()) {
    const FrameResult r = framer.Next(stream);
    if (r.kind == FrameResult::Kind::kNeedMore) break;
    if (r.kind == FrameResult::Kind::kFrame) {
      out.messages.clear();
      out.reply.clear();
      benchmark::DoNotOptimize(decoder.Decode(stream.first(r.consumed), session, 1, out));
      messages += static_cast<int64_t>(out.messages.size());
    }
    stream = stream.subspan(r.consumed);
  }
  return messages;
}

}  // namespace fleetd::vectors
