#include "app/decode_command.h"

#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fleetd {
namespace {

class DecodeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinProtocols(protocols_); }
  int Decode(const DecodeOptions& o, const std::string& input) {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return RunDecode(o, protocols_, in, out_, err_);
  }
  std::vector<nlohmann::json> Lines() {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out_.str());
    std::string line;
    while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
  ProtocolRegistry protocols_;
  std::ostringstream out_, err_;
};

// A real GT06 login followed by a real 0x12 position from the shared vectors.
constexpr const char* kLogin = "78780D01086471700328358100093F040D0A";
// gt06-144: 2015-10-20T14:21:11Z, valid, 54.94535 N 24.01762 E.
constexpr const char* kPosition =
    "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a";

TEST_F(DecodeCommandTest, LoginImeiCarriesToLaterPositions) {
  DecodeOptions o;
  o.replies = true;
  int rc = Decode(o, std::string(kLogin) + "\n# comment\n\n" + kPosition + "\n");
  auto lines = Lines();
  ASSERT_GE(lines.size(), 3u) << out_.str() << err_.str();
  EXPECT_EQ(lines[0]["kind"], "login");
  EXPECT_EQ(lines[0]["device_uid"], "864717003283581");
  EXPECT_EQ(lines[1]["reply"].get<std::string>().substr(0, 8), "78780501");
  bool saw_position = false;
  for (const auto& l : lines) {
    if (l.contains("lat")) {
      saw_position = true;
      EXPECT_EQ(l["device_uid"], "864717003283581");
      EXPECT_EQ(l["protocol"], "gt06");
      EXPECT_EQ(l["ts"], "2015-10-20T14:21:11Z");
      EXPECT_NEAR(l["lat"].get<double>(), 54.94535, 1e-5);
      EXPECT_NEAR(l["lng"].get<double>(), 24.01762, 1e-5);
    }
  }
  EXPECT_TRUE(saw_position) << out_.str();
  EXPECT_EQ(rc, 0) << err_.str();
}

TEST_F(DecodeCommandTest, RejectedFramesGoToStderrAndExitStatus) {
  DecodeOptions o;
  // Login with its last CRC byte flipped, then text that is not hex.
  int rc = Decode(o, "78780D01086471700328358100093F050D0A\nnot-hex\n");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err_.str().find("bad_checksum"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("line 2: not hex"), std::string::npos) << err_.str();
  EXPECT_TRUE(Lines().empty());
}

TEST_F(DecodeCommandTest, PositionWithoutLoginNeedsUid) {
  DecodeOptions o;
  o.hex = kPosition;
  EXPECT_EQ(Decode(o, ""), 1);
  EXPECT_NE(err_.str().find("no_session"), std::string::npos) << err_.str();
  o.uid = "123456789012345";
  EXPECT_EQ(Decode(o, ""), 0) << err_.str();
  ASSERT_FALSE(Lines().empty());
  EXPECT_EQ(Lines()[0]["device_uid"], "123456789012345");
}

TEST_F(DecodeCommandTest, UnknownProtocolIsUsageError) {
  DecodeOptions o;
  o.protocol = "nosuch";
  EXPECT_EQ(Decode(o, ""), 2);
  EXPECT_NE(err_.str().find("gt06"), std::string::npos);
}

TEST_F(DecodeCommandTest, TruncatedFrameIsReported) {
  DecodeOptions o;
  EXPECT_EQ(Decode(o, "78780D0108647170\n"), 1);
  EXPECT_NE(err_.str().find("incomplete"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace fleetd
