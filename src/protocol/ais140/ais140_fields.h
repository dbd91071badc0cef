// Reads a sentence through its layout row into a Message, and checks the
// row's checksum. Internal to src/protocol/ais140.
#pragma once

#include <string_view>

#include "fleetd/message.h"
#include "fleetd/status.h"
#include "protocol/ais140/ais140_layouts.h"

namespace fleetd::ais140 {

// Fills `msg` from the fields `layout` names and sets `imei`. Errors:
// kOutOfRange for an impossible date (an all-zero date means "no time" and
// is not an error) or coordinates beyond +-90/+-180; kMalformed for numbers
// that do not convert. Precondition: FindLayout(sentence) == &layout.
Status ApplyLayout(const Layout& layout, const Sentence& sentence, Message& msg, std::string_view& imei);

// kBadChecksum when the row's in-field checksum or a hex trailer after `*`
// does not match; a checksum of unknown algorithm, or none, passes.
Status VerifyChecksums(const Layout& layout, const Sentence& sentence);

}  // namespace fleetd::ais140
