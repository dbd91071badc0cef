// A JSON text writer that appends straight to a string: no document tree.
//
// The store, the live state and the live feed serialise every message they
// handle; building an nlohmann tree first (one allocation per field, then a
// second walk to dump it) was the largest cost of the process stage. This
// writer produces the same text nlohmann's dump() does for the same values
// (compact, ensure_ascii off, invalid UTF-8 replaced by U+FFFD, doubles
// shortest round-trip with ".0" on integral values), so switching to it
// changes no stored byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetd {

class JsonTextWriter {
 public:
  explicit JsonTextWriter(std::string& out) : out_(out) {}

  void BeginObject() { Separate(); out_.push_back('{'); first_ = true; }
  void EndObject() { out_.push_back('}'); first_ = false; }
  void BeginArray() { Separate(); out_.push_back('['); first_ = true; }
  void EndArray() { out_.push_back(']'); first_ = false; }
  // Starts a member; the value written next belongs to it.
  void Key(std::string_view key) {
    Separate();
    AppendString(key);
    out_.push_back(':');
    first_ = true;  // the value that follows takes no comma
  }
  void String(std::string_view value) { Separate(); AppendString(value); }
  void Int(int64_t value);
  // Non-finite values are written as null, as nlohmann does.
  void Double(double value);
  void Bool(bool value) { Separate(); out_.append(value ? "true" : "false"); }
  void Null() { Separate(); out_.append("null"); }
  // A value already in JSON text form (e.g. a timestamp string built in place).
  std::string& RawValue() { Separate(); return out_; }

 private:
  void Separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void AppendString(std::string_view value);

  std::string& out_;
  bool first_ = true;
};

// Appends `text` as a JSON string literal (quotes included), escaped as
// nlohmann's dump(ensure_ascii=false, error_handler=replace) does.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace fleetd
