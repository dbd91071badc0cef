// Gt06Framer: cuts a TCP byte stream into GT06 frames.
//
// A frame is 0x7878 <len:1> ... 0D0A (len+5 bytes) or 0x7979 <len:2> ... 0D0A
// (len+6 bytes). Two Wi-Fi messages (0x69, and 0x17 from the same devices)
// reuse the length byte as an access point count; their size follows from the
// counts inside, so they are cut exactly too. Everything else that does not
// end in 0D0A where its length says is garbage in strict mode; lenient mode
// instead scans for 0D0A followed by a start marker (or the end of the bytes
// received), as some clones send a wrong length. See docs/protocols/gt06.md.
#pragma once

#include "fleetd/framer.h"

namespace fleetd {

class Gt06Framer : public Framer {
 public:
  explicit Gt06Framer(bool lenient = false) : lenient_(lenient) {}

  // Stateless: examines `buf` only. kError consumes up to the next possible
  // start marker (at least one byte). Never allocates.
  FrameResult Next(std::span<const uint8_t> buf) const override;
  size_t max_frame_size() const override;

 private:
  bool lenient_;
};

}  // namespace fleetd
