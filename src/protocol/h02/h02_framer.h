// H02Framer: cuts a TCP byte stream into H02 frames.
//
// ASCII frames run from `*` to the first `#` (SMS answers may hold line
// breaks inside). Binary frames (`$`, `X`) have no length field and no
// terminator: the size follows from the layout (h02_wire.h), and among the
// known sizes of a layout the frame ends at the first one where the bytes
// received end or the next frame begins. So a long binary frame split by the
// network exactly at byte 32 is cut there (its tail is then garbage); see
// docs/protocols/h02.md for why this beats waiting for the next frame.
#pragma once

#include "fleetd/framer.h"

namespace fleetd {

class H02Framer : public Framer {
 public:
  // `lenient` is accepted for the registry's signature; H02 framing has no
  // length or checksum to be lenient about, so both modes cut alike.
  explicit H02Framer(bool lenient = false) : lenient_(lenient) {}

  // Stateless: examines `buf` only. CR/LF left over from the previous
  // frame's end are kept at the front of the next frame. kError consumes up
  // to the next possible start marker (`*`, `$`, `X`), at least one byte.
  // Never allocates.
  FrameResult Next(std::span<const uint8_t> buf) const override;
  size_t max_frame_size() const override;

  bool lenient() const { return lenient_; }

 private:
  bool lenient_;
};

}  // namespace fleetd
