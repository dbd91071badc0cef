// `fleetd replay`: rewrites a time window of the queue's stream into the
// store, replacing what a buggy consumer wrote (Store::RewriteBatch) and
// adding what it lost, without duplicates. docs/operations.md tells when
// and how to use it.
#pragma once

#include <ostream>
#include <string>

#include "app/config.h"

namespace fleetd {

struct ReplayArgs {
  std::string from;    // required: ISO-8601 (offsets allowed) or epoch seconds
  std::string to;      // optional, exclusive; empty: the stream's end when the replay starts
  std::string device;  // optional device uid
  bool dry_run = false;
};

// Replays config.queue_url (nats:// only: the memory: queue keeps no
// history) into config.store_url; then, unless the live state is the
// embedded memory: one (which only a running server holds), pushes the
// latest stored position of every device the replay touched to it. Prints
// one JSON line on `out`:
//   {"read":N,"rewritten":M,"skipped_other_devices":K,"undecodable":U,
//    "from":"...","to":"..."|null,"dry_run":false,"live_updated":L}
// and progress on `err`. Exit status: 0 done (a window with nothing in it
// included), 1 when the queue, the store or the live state fails, 2 for bad
// arguments or configuration (a bad time, --from after --to, a memory: queue).
int RunReplay(const Config& config, const ReplayArgs& args, std::ostream& out, std::ostream& err);

}  // namespace fleetd
