// ws_latency: the load harness's WebSocket client (test/load/scaleout_load.sh
// --latency). Subscribes to an API node's /api/v1/stream and, for every
// telemetry_update, measures now - data.received_at: the time from the
// ingest node receiving the frame to the update being visible here, across
// JetStream, the process worker, PostgreSQL and the Redis push. Same host,
// same clock. Prints one JSON line with the percentiles.
//
// Usage: ws_latency <port> <token> <seconds>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time_util.h"
#include "test_client.h"

namespace {

// data.received_at of a telemetry_update (fleetd writes each key once, with
// no spaces), or nullopt for any other message.
std::optional<fleetd::TimestampMs> ReceivedAt(std::string_view text) {
  if (text.find("\"type\":\"telemetry_update\"") == std::string_view::npos) return std::nullopt;
  constexpr std::string_view kKey = "\"received_at\":\"";
  const size_t at = text.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t begin = at + kKey.size();
  const size_t end = text.find('"', begin);
  if (end == std::string_view::npos) return std::nullopt;
  return fleetd::ParseIso8601(text.substr(begin, end - begin));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: ws_latency <port> <token> <seconds>\n");
    return 2;
  }
  const auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  const std::string token = argv[2];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[3]));
  fleetd::test::WsClient ws(port, "/api/v1/stream?access_token=" + token);
  if (!ws.ok()) {
    std::fprintf(stderr, "ws_latency: WebSocket upgrade failed\n");
    return 1;
  }
  std::vector<int64_t> latencies;
  int64_t other = 0;
  // Closed by the server before the deadline (fleetd drops a client that
  // falls ws_queue_limit updates behind): the percentiles then cover only
  // the run's start, and the harness must not report them as the run's.
  bool closed_early = false;
  const auto started = std::chrono::steady_clock::now();
  auto last = started;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto msg = ws.ReadText(std::max(left, std::chrono::milliseconds(1)));
    if (!msg) {
      closed_early = std::chrono::steady_clock::now() + std::chrono::milliseconds(50) < deadline;
      break;
    }
    last = std::chrono::steady_clock::now();
    const int64_t now = fleetd::NowMs();
    // The two fields by their text, not a JSON parse: the probe shares the
    // two cores with the system it measures, and a parse per update made it
    // one of the busier processes on the machine.
    auto received = ReceivedAt(*msg);
    if (!received) {
      ++other;
      continue;
    }
    latencies.push_back(now - *received);
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) -> int64_t {
    if (latencies.empty()) return -1;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * static_cast<double>(latencies.size())))];
  };
  const double covered_s = std::chrono::duration<double>(last - started).count();
  std::printf(
      "{\"updates\":%zu,\"other\":%lld,\"p50_ms\":%lld,\"p99_ms\":%lld,\"max_ms\":%lld,\"closed_early\":%s,"
      "\"covered_s\":%.1f}\n",
      latencies.size(), static_cast<long long>(other), static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.99)), static_cast<long long>(latencies.empty() ? -1 : latencies.back()),
      closed_early ? "true" : "false", covered_s);
  return latencies.empty() || closed_early ? 1 : 0;
}
