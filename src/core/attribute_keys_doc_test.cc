// Every attribute key declared in attribute_keys.h is documented in
// docs/schema.md, so the document cannot drift from the code.
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace fleetd {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AttributeKeysDocTest, EveryKeyIsDocumented) {
  const std::string header = ReadFile(std::string(FLEETD_SOURCE_DIR) + "/include/fleetd/attribute_keys.h");
  const std::string doc = ReadFile(std::string(FLEETD_SOURCE_DIR) + "/docs/schema.md");
  ASSERT_FALSE(header.empty());
  ASSERT_FALSE(doc.empty());
  std::regex key_re(R"re(std::string_view k\w+ = "([a-z0-9_]+)")re");
  int keys = 0;
  for (std::sregex_iterator it(header.begin(), header.end(), key_re), end; it != end; ++it) {
    ++keys;
    const std::string key = (*it)[1];
    EXPECT_NE(doc.find("`" + key + "`"), std::string::npos) << "attribute '" << key << "' missing from docs/schema.md";
  }
  EXPECT_GT(keys, 20);
}

}  // namespace
}  // namespace fleetd
