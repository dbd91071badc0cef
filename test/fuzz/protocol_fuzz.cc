// libFuzzer target for every protocol in the registry: the input is a TCP
// byte stream, cut by the protocol's framer as a listener would cut it, and
// every frame goes through the decoder with one DecodeSession (a connection).
//
// One binary serves all protocols, chosen at start-up by the environment
// variable FLEETD_FUZZ_PROTOCOL, so a protocol registered in registry.cc is
// fuzzed without touching this file; FLEETD_FUZZ_PROTOCOL=list prints the
// registered names (scripts/fuzz.sh runs one target per name).
//
// Input layout: byte 0 = flags (bit 0 lenient framer and session, bit 1
// session already identified, as after a login); byte 1 = chunking seed (0:
// the whole stream in one read; otherwise reads of pseudo-random sizes
// derived from it); the rest = the stream, also decoded as one datagram when
// the protocol has a datagram decoder.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "message_checks.h"
#include "protocol/registry.h"

namespace fleetd::fuzz {
namespace {

constexpr TimestampMs kReceivedAt = 1'700'000'000'000;
constexpr char kDeviceUid[] = "123456789012345";

struct Target {
  std::string name;
  std::unique_ptr<Framer> strict_framer;
  std::unique_ptr<Framer> lenient_framer;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<Decoder> datagram_decoder;  // null when TCP/HTTP only
};

Target* g_target = nullptr;

// Decodes one frame and checks the Decoder contract: messages only on ok.
void DecodeFrame(const Decoder& decoder, std::span<const uint8_t> frame, DecodeSession& session) {
  DecodeOutput out;
  const Status s = decoder.Decode(frame, session, kReceivedAt, out);
  if (!s.ok()) {
    FUZZ_CHECK(out.messages.empty(), "Decode appended messages and returned an error");
    return;
  }
  for (const auto& m : out.messages) CheckMessage(m);
}

// Sizes of successive reads: all at once, or 1..max_chunk bytes each.
class Chunker {
 public:
  explicit Chunker(uint8_t seed) : state_(seed), max_chunk_(seed == 0 ? 0 : 1 + seed % 64) {}
  size_t Next(size_t left) {
    if (max_chunk_ == 0) return left;
    state_ = state_ * 1103515245u + 12345u;
    return std::min<size_t>(left, 1 + (state_ >> 16) % max_chunk_);
  }

 private:
  uint32_t state_;
  size_t max_chunk_;
};

void FeedStream(const Framer& framer, const Decoder& decoder, std::span<const uint8_t> stream, uint8_t seed,
                DecodeSession& session) {
  const size_t max_frame = framer.max_frame_size();
  FUZZ_CHECK(max_frame > 0, "max_frame_size() is 0");
  std::vector<uint8_t> buf;
  Chunker chunker(seed);
  size_t at = 0;
  while (at < stream.size()) {
    const size_t n = chunker.Next(stream.size() - at);
    buf.insert(buf.end(), stream.begin() + at, stream.begin() + at + n);
    at += n;
    while (!buf.empty()) {
      const FrameResult r = framer.Next(buf);
      if (r.kind == FrameResult::Kind::kNeedMore) {
        FUZZ_CHECK(r.consumed == 0, "kNeedMore with consumed != 0");
        // A framer enforces its maximum: past it, a frame is there or it is garbage.
        FUZZ_CHECK(buf.size() <= max_frame, "kNeedMore with more than max_frame_size() bytes buffered");
        break;
      }
      FUZZ_CHECK(r.consumed >= 1 && r.consumed <= buf.size(), "consumed outside [1, buffered]");
      if (r.kind == FrameResult::Kind::kFrame) {
        FUZZ_CHECK(r.consumed <= max_frame, "a frame longer than max_frame_size()");
        DecodeFrame(decoder, std::span<const uint8_t>(buf).first(r.consumed), session);
      } else {
        FUZZ_CHECK(r.kind == FrameResult::Kind::kError, "unknown FrameResult kind");
        FUZZ_CHECK(!r.error.ok(), "kError with an ok status");
      }
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.consumed));
    }
  }
}

}  // namespace
}  // namespace fleetd::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace fleetd;
  static ProtocolRegistry registry;
  RegisterBuiltinProtocols(registry);
  const char* name = std::getenv("FLEETD_FUZZ_PROTOCOL");
  if (name != nullptr && std::string(name) == "list") {
    for (const auto& n : registry.Names()) std::printf("%s\n", n.c_str());
    std::exit(0);
  }
  const ProtocolInfo* info = name == nullptr ? nullptr : registry.Find(name);
  if (info == nullptr) {
    std::fprintf(stderr, "set FLEETD_FUZZ_PROTOCOL to list or to one of:");
    for (const auto& n : registry.Names()) std::fprintf(stderr, " %s", n.c_str());
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  static fuzz::Target target;
  target.name = info->name;
  target.strict_framer = info->make_framer(false);
  target.lenient_framer = info->make_framer(true);
  target.decoder = info->make_decoder();
  if (info->make_datagram_decoder) target.datagram_decoder = info->make_datagram_decoder();
  fuzz::g_target = &target;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetd;
  if (size < 2) return 0;
  const fuzz::Target& t = *fuzz::g_target;
  const bool lenient = data[0] & 1;
  const bool identified = data[0] & 2;
  const std::span<const uint8_t> stream(data + 2, size - 2);

  DecodeSession session;
  session.lenient = lenient;
  if (identified) session.device_uid = fuzz::kDeviceUid;
  const Framer& framer = lenient ? *t.lenient_framer : *t.strict_framer;
  fuzz::FeedStream(framer, *t.decoder, stream, data[1], session);

  if (t.datagram_decoder) {
    DecodeSession datagram_session;
    datagram_session.lenient = lenient;
    if (identified) datagram_session.device_uid = fuzz::kDeviceUid;
    fuzz::DecodeFrame(*t.datagram_decoder, stream, datagram_session);
  }
  return 0;
}
