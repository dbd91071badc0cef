// The binary COPY layout, byte by byte (the server side is exercised by the
// store tests).
#include "store/postgres/pg_copy_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace fleetd::pg {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

TEST(PgCopyWriterTest, EmptyCopyIsHeaderAndTrailer) {
  CopyWriter w;
  EXPECT_EQ(Hex(w.Finish()),
            "5047434f50590aff0d0a00"
            "00000000"
            "00000000"
            "ffff");
}

TEST(PgCopyWriterTest, RowWithEveryKindOfField) {
  CopyWriter w;
  w.BeginRow(6);
  w.Bool(true);
  w.Int64(-2);
  w.Double(1.5);
  w.Null();
  w.Text(std::string("a\0b", 3));
  w.OptionalDouble(std::nullopt);
  EXPECT_EQ(w.rows(), 1);
  std::string hex = Hex(w.Finish());
  const std::string header = "5047434f50590aff0d0a000000000000000000";
  ASSERT_EQ(hex.substr(0, header.size()), header);
  EXPECT_EQ(hex.substr(header.size()),
            "0006"  // field count
            "00000001"
            "01"  // bool true
            "00000008"
            "fffffffffffffffe"  // int8 -2
            "00000008"
            "3ff8000000000000"  // float8 1.5
            "ffffffff"          // NULL
            "00000003"
            "610062"    // text with an embedded NUL, byte for byte
            "ffffffff"  // absent optional
            "ffff");    // trailer
}

}  // namespace
}  // namespace fleetd::pg
