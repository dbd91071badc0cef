// `fleetd replay`: argument checks, then the NATS window read
// (queue/nats/nats_replay.h) into Store::RewriteBatch, then the live state.
#include "app/replay_command.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "app/adapters.h"
#include "core/time_util.h"
#include "queue/nats/nats_queue_options.h"
#include "queue/nats/nats_replay.h"

namespace fleetd {
namespace {

constexpr size_t kBatch = 1000;
constexpr auto kProgressEvery = std::chrono::seconds(2);

// nullopt (and a message on `err`) unless `text` is a time fleetd accepts.
std::optional<TimestampMs> ParseTime(const char* flag, const std::string& text, std::ostream& err) {
  auto ts = ParseIso8601(text);
  if (!ts) {
    err << "fleetd replay: " << flag << " '" << text
        << "' is not a time: use ISO-8601 (2026-05-21T10:30:00Z, 2026-05-21T12:30:00+02:00) or epoch seconds\n";
    return std::nullopt;
  }
  if (*ts < 0) {
    err << "fleetd replay: " << flag << " '" << text << "' is before 1970\n";
    return std::nullopt;
  }
  return ts;
}

int Fail(std::ostream& err, const std::string& what, const Status& s) {
  err << "fleetd replay: " << what << ": " << s.ToString() << "\n";
  return 1;
}

// The latest stored position of each touched device, pushed to live state
// once per device: dashboards see the repaired current state, not the
// window's history played back as if it were live.
Result<size_t> RefreshLive(Store& store, const std::string& live_url,
                           const std::map<int64_t, std::set<int64_t>>& touched) {
  auto live = OpenLiveState(live_url);
  if (!live.ok()) return live.status();
  size_t updated = 0;
  for (const auto& [tenant_id, devices] : touched) {
    auto latest = store.LatestPositions(tenant_id);
    if (!latest.ok()) return latest.status();
    std::vector<Envelope> batch;
    for (auto& e : *latest) {
      if (devices.contains(e.device_id)) batch.push_back(std::move(e));
    }
    (*live)->Update(batch);
    updated += batch.size();
  }
  return updated;
}

}  // namespace

int RunReplay(const Config& config, const ReplayArgs& args, std::ostream& out, std::ostream& err) {
  if (args.from.empty()) {
    err << "fleetd replay: --from is required (ISO-8601 or epoch seconds)\n";
    return 2;
  }
  nats::ReplayWindow window;
  auto from = ParseTime("--from", args.from, err);
  if (!from) return 2;
  window.from = *from;
  if (!args.to.empty()) {
    window.to = ParseTime("--to", args.to, err);
    if (!window.to) return 2;
    if (*window.to < window.from) {
      err << "fleetd replay: --to " << FormatIso8601(*window.to) << " is before --from " << FormatIso8601(window.from)
          << "\n";
      return 2;
    }
  }
  window.device_uid = args.device;
  window.batch_size = kBatch;

  const std::string& queue_url = config.queue_url;
  if (queue_url == "memory:" || queue_url == "memory") {
    err << "fleetd replay: the memory: queue keeps no history, so there is nothing to replay;"
           " replay reads the stream of a nats:// queue (--queue nats://host:port)\n";
    return 2;
  }
  if (queue_url.rfind("nats://", 0) != 0) {
    err << "fleetd replay: queue URL '" << queue_url << "' cannot be replayed (only nats:// queues keep a stream)\n";
    return 2;
  }
  auto options = nats::ParseNatsQueueUrl(queue_url);
  if (!options.ok()) {
    err << "fleetd replay: --queue: " << options.status().ToString() << "\n";
    return 2;
  }

  std::unique_ptr<Store> store;
  if (!args.dry_run) {
    StoreOpenOptions store_options;
    store_options.tenant_dsns = config.store_tenants;  // each tenant's rows are rewritten where they live
    auto opened = OpenStore(config.store_url, store_options);
    if (!opened.ok()) return Fail(err, "cannot open the store", opened.status());
    store = std::move(*opened);
  }

  int64_t rewritten = 0;
  std::map<int64_t, std::set<int64_t>> touched;  // tenant -> devices: bounded by the fleet, not the window
  auto on_batch = [&](std::span<const Envelope> batch) -> Status {
    if (!store) return Status::Ok();
    auto stats = store->RewriteBatch(batch);
    if (!stats.ok()) return stats.status();
    rewritten += stats->positions_written;
    for (const auto& e : batch) {
      if (e.message.ts) touched[e.tenant_id].insert(e.device_id);
    }
    return Status::Ok();
  };
  auto last_report = std::chrono::steady_clock::now();
  auto progress = [&](const nats::ReplayStats& s) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_report < kProgressEvery) return;
    last_report = now;
    err << "fleetd replay: " << s.read << " read, " << rewritten << " rewritten\n";
  };
  auto stats = nats::ReplayStream(*options, window, on_batch, progress);
  if (!stats.ok()) {
    return Fail(err, "replay of " + options->stream + " stopped after " + std::to_string(rewritten) + " rows rewritten",
                stats.status());
  }

  size_t live_updated = 0;
  if (store && !touched.empty() && config.live_url != "memory:" && config.live_url != "memory") {
    auto refreshed = RefreshLive(*store, config.live_url, touched);
    if (!refreshed.ok())
      return Fail(err, "the store is repaired, but the live state was not updated", refreshed.status());
    live_updated = *refreshed;
  }

  out << "{\"read\":" << stats->read << ",\"rewritten\":" << rewritten
      << ",\"skipped_other_devices\":" << stats->skipped_other_devices << ",\"undecodable\":" << stats->undecodable
      << ",\"from\":\"" << FormatIso8601(window.from)
      << "\",\"to\":" << (window.to ? "\"" + FormatIso8601(*window.to) + "\"" : std::string("null"))
      << ",\"dry_run\":" << (args.dry_run ? "true" : "false") << ",\"live_updated\":" << live_updated << "}\n";
  return 0;
}

}  // namespace fleetd
