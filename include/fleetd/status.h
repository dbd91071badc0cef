// Status and Result: how fleetd reports failures without exceptions.
//
// Bad device input, an unknown device or a full queue are expected outcomes on
// the data path, so they travel as values (leveldb's Status idea) and are
// counted by their code. Exceptions are reserved for start-up misconfiguration.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fleetd {

enum class StatusCode {
  kOk = 0,
  kBadChecksum,     // frame checksum does not match its bytes
  kBadLength,       // length field disagrees with the frame, or exceeds a limit
  kMalformed,       // bytes do not follow the protocol's grammar
  kUnsupported,     // well-formed, but a message type fleetd does not handle
  kOutOfRange,      // a decoded value is impossible (latitude 123, month 13)
  kNoSession,       // a message that needs a known device arrived before login
  kNotFound,
  kAlreadyExists,
  kInvalidArgument,
  kUnauthenticated,
  kPermissionDenied,
  kBusy,            // backpressure: try again later
  kIoError,
  kInternal,
};

// Short stable names, used as metric labels and in error messages.
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", for logs and stderr.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {   // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { assert(ok()); return *value_; }
  const T& value() const { assert(ok()); return *value_; }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace fleetd
