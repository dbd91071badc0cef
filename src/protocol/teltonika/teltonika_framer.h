// TeltonikaFramer: cuts a Teltonika TCP byte stream into frames.
//
// The frame type follows from the first bytes, so the framer needs no
// connection state: 0xFF is a one-byte ping, 00 00 starts a data packet
// (00000000 <len:4> <data> <crc:4>), anything else is the IMEI handshake
// (<len:2> <len ASCII digits>). Strict by default: a data packet is cut where
// its length field says. Lenient mode measures the data field from its
// contents instead when the two disagree (a length of 0, or one longer than
// the records), as a few devices send. See docs/protocols/teltonika.md.
#pragma once

#include "fleetd/framer.h"

namespace fleetd {

class TeltonikaFramer : public Framer {
 public:
  explicit TeltonikaFramer(bool lenient = false) : lenient_(lenient) {}

  // Stateless: examines `buf` only, never allocates. kError consumes up to
  // the next byte that could start a frame (0x00 or 0xFF), at least one.
  FrameResult Next(std::span<const uint8_t> buf) const override;
  size_t max_frame_size() const override;

 private:
  FrameResult NextData(std::span<const uint8_t> buf) const;

  bool lenient_;
};

}  // namespace fleetd
