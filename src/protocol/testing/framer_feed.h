// Feeds bytes to a framer the way a listener does — in chunks, keeping the
// unconsumed tail — and checks the framer's contract on every call. Shared by
// the protocol framer tests (one byte at a time, several frames at once).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "fleetd/framer.h"

namespace fleetd::framer_testing {

struct Fed {
  std::vector<std::vector<uint8_t>> frames;
  int errors = 0;
  size_t left = 0;  // bytes still buffered at the end
};

// Feeds `input` in chunks of `chunk` bytes.
inline Fed Feed(const Framer& framer, const std::vector<uint8_t>& input, size_t chunk) {
  Fed fed;
  std::vector<uint8_t> buf;
  for (size_t at = 0; at < input.size(); at += chunk) {
    buf.insert(buf.end(), input.begin() + static_cast<std::ptrdiff_t>(at),
               input.begin() + static_cast<std::ptrdiff_t>(std::min(input.size(), at + chunk)));
    for (;;) {
      const FrameResult r = framer.Next(buf);
      if (r.kind == FrameResult::Kind::kNeedMore) {
        EXPECT_EQ(r.consumed, 0u);
        break;
      }
      EXPECT_GE(r.consumed, 1u);
      EXPECT_LE(r.consumed, buf.size());
      const auto end = buf.begin() + static_cast<std::ptrdiff_t>(std::min(r.consumed, buf.size()));
      if (r.kind == FrameResult::Kind::kFrame) fed.frames.emplace_back(buf.begin(), end);
      if (r.kind == FrameResult::Kind::kError) ++fed.errors;
      buf.erase(buf.begin(), end);
      if (r.consumed == 0) break;  // contract broken (reported above): avoid looping forever
    }
    EXPECT_LE(buf.size(), framer.max_frame_size());
  }
  fed.left = buf.size();
  return fed;
}

}  // namespace fleetd::framer_testing
