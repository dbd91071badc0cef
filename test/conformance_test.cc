// Conformance with real devices through `fleetd decode` (RunDecode, the code
// the binary runs): every case of every shared vector file, in lenient mode
// (some real devices send bad checksums; the per-protocol suites check the
// strict rejections), with the model the case needs. A case expected to
// yield nothing yields no located message; a located case yields one with
// the expected fix time, validity and coordinates. Per-protocol decoder
// suites check the attributes.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/decode_command.h"
#include "core/hex.h"
#include "core/message_json.h"
#include "core/time_util.h"
#include "protocol/testing/vector_messages.h"

namespace fleetd {
namespace {

using nlohmann::json;

struct Outcome {
  int exit_code = 0;
  std::vector<json> located;  // decoded messages with lat/lng
  std::string err;
};

Outcome RunCase(const ProtocolRegistry& registry, const std::string& protocol, const json& c) {
  DecodeOptions o;
  o.protocol = protocol;
  o.lenient = true;
  o.uid = "123456789012345";  // frames captured after a login
  if (c.contains("context") && c["context"].is_object()) o.model = c["context"].value("setModelOverride", "");
  std::string bytes;
  if (c.contains("http")) {
    bytes = vectors::VectorHttpRequest(c);
  } else if (c["encoding"] == "hex") {
    o.hex = c["packet"];
  } else {
    bytes = c["packet"];
  }
  if (o.hex.empty()) o.hex = ToHex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  std::istringstream in;
  std::ostringstream out, err;
  Outcome outcome;
  outcome.exit_code = RunDecode(o, registry, in, out, err);
  outcome.err = err.str();
  std::istringstream lines(out.str());
  std::string line;
  while (std::getline(lines, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("lat") && j.contains("lng")) outcome.located.push_back(j);
  }
  return outcome;
}

// Where fleetd differs from upstream on purpose (docs/protocols.md says why).
// The test asserts these still differ, so a change in either direction is seen.
const std::map<std::string, std::string> kIntentionalDifferences = {
    {"ais140-030", "all-zero date, no fix: no position or time is invented"},
    {"ais140-031", "all-zero date, no fix: no position or time is invented"},
    {"ais140-032", "all-zero date, no fix: no position or time is invented"},
    {"ais140-033", "emergency sentence with a vendor field: decoded as an SOS alarm, not dropped"},
    {"ais140-034", "emergency sentence with a vendor field: decoded as an SOS alarm, not dropped"},
};

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, EveryVectorCaseThroughFleetdDecode) {
  const std::string protocol = GetParam();
  ProtocolRegistry registry;
  RegisterBuiltinProtocols(registry);
  if (!registry.Find(protocol)) GTEST_SKIP() << protocol << " is not built in yet";
  std::ifstream in(std::string(FLEETD_VECTORS_DIR) + "/" + (protocol == "ais140" ? "ais140" : protocol) + ".json");
  ASSERT_TRUE(in.good()) << "vectors missing";
  json file = json::parse(in);
  int checked = 0, positions = 0;
  std::set<std::string> differing, expected_differing;
  for (const auto& [id, why] : kIntentionalDifferences) {
    if (id.rfind(protocol + "-", 0) == 0) expected_differing.insert(id);
  }
  for (const auto& c : file["cases"]) {
    const std::string id = c["id"];
    const json& expect = c["expect"];
    if (c.value("upstream_disabled", false)) continue;
    Outcome got = RunCase(registry, protocol, c);
    ++checked;
    const bool known = expected_differing.count(id) > 0;
    if (expect.value("null", false)) {
      if (!got.located.empty()) {
        differing.insert(id);
        EXPECT_TRUE(known) << id << " should yield no position";
      }
      continue;
    }
    const std::string decodes = expect.value("decodes", "");
    // Attribute-only cases carry no location check: the per-protocol suites check them.
    if (decodes != "position" && decodes != "positions") continue;
    const bool location_checked = expect.value("location_checked", true);
    if (got.located.empty()) {
      if (location_checked) {
        differing.insert(id);
        EXPECT_TRUE(known) << id << " yields no position: " << got.err;
      }
      continue;
    }
    ++positions;
    const json& first = got.located.front();
    EXPECT_GE(first["lat"].get<double>(), -90) << id;
    EXPECT_LE(first["lat"].get<double>(), 90) << id;
    if (expect.contains("latitude")) {
      EXPECT_NEAR(first["lat"].get<double>(), expect["latitude"].get<double>(), 1e-5) << id;
      EXPECT_NEAR(first["lng"].get<double>(), expect["longitude"].get<double>(), 1e-5) << id;
      EXPECT_EQ(first.value("valid", false), expect["valid"].get<bool>()) << id;
      auto want = ParseIso8601(expect["time"].get<std::string>());
      auto have = ParseIso8601(first.value("ts", ""));
      ASSERT_TRUE(want && have) << id;
      EXPECT_EQ(*have, *want) << id;
    }
  }
  EXPECT_EQ(differing, expected_differing) << "a listed difference went away or a new one appeared";
  EXPECT_GT(checked, 5);
  EXPECT_GT(positions, 0);
}

// The stored body is written by the streaming writer; it must equal the
// nlohmann tree's text for every message the real packets decode to.
TEST_P(ConformanceTest, StreamedJsonEqualsTreeJsonOnEveryVectorMessage) {
  const std::string protocol = GetParam();
  ProtocolRegistry registry;
  RegisterBuiltinProtocols(registry);
  const ProtocolInfo* info = registry.Find(protocol);
  if (!info) GTEST_SKIP() << protocol << " is not built in yet";
  auto decoded = vectors::DecodeVectorMessages(*info);
  ASSERT_TRUE(decoded) << "vectors missing";
  for (const auto& [id, m] : *decoded) {
    EXPECT_EQ(MessageToJsonText(m), MessageToJson(m).dump(-1, ' ', false, json::error_handler_t::replace)) << id;
  }
  EXPECT_GT(decoded->size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Vectors, ConformanceTest,
                         ::testing::Values("gt06", "teltonika", "h02", "ais140", "osmand"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fleetd
