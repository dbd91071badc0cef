// Ais140Framer: cuts a TCP byte stream into AIS-140 sentences.
//
// A sentence starts with `$` and ends at the first of: `*` (plus the hex
// checksum digits already received, up to 8), a line end, or the `$` of the
// next sentence. Line-end bytes right after a sentence are consumed with it;
// line-end bytes at the start of the buffer belong to the next frame (they
// are the tail of a sentence that was cut at its `*`). Anything else before
// a `$` is garbage. Framing is the same strict or lenient: the decoder
// decides what a sentence may look like. See docs/protocols/ais140.md.
#pragma once

#include "fleetd/framer.h"

namespace fleetd {

class Ais140Framer : public Framer {
 public:
  Ais140Framer() = default;

  // Stateless: examines `buf` only. kError consumes up to the next `$` (at
  // least one byte). A sentence without a terminator within
  // max_frame_size() bytes is an error. Never allocates.
  //
  // Known limit: cutting at `*` as soon as it arrives means that when a read
  // ends exactly after the `*`, a checksum that follows in the next read is
  // dropped as garbage and the sentence is decoded without it. Waiting
  // instead would hold every sentence of the many devices that send a bare
  // `*` and no line end until their next report.
  FrameResult Next(std::span<const uint8_t> buf) const override;
  size_t max_frame_size() const override;
};

}  // namespace fleetd
