#include "app/decode_command.h"

#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "core/hex.h"
#include "core/message_json.h"
#include "core/time_util.h"

namespace fleetd {
namespace {

constexpr size_t kMaxLineBytes = 1 << 20;

struct Decoding {
  const Framer& framer;
  const Decoder& decoder;
  DecodeSession session;
  std::ostream& out;
  std::ostream& err;
  bool replies;
  int rejected = 0;

  void Line(const std::string& where, std::string_view text) {
    auto bytes = ParseHex(text);
    if (!bytes) {
      err << where << ": not hex\n";
      ++rejected;
      return;
    }
    std::span<const uint8_t> rest(*bytes);
    while (!rest.empty()) {
      FrameResult r = framer.Next(rest);
      if (r.kind == FrameResult::Kind::kNeedMore) {
        // A line is a whole capture: what is left is the last frame, even if
        // the framer would wait for a terminator some devices never send.
        Frame(where + " (incomplete frame of " + std::to_string(rest.size()) + " bytes)", rest);
        return;
      }
      size_t n = std::max<size_t>(r.consumed, 1);
      if (r.kind == FrameResult::Kind::kError) {
        err << where << ": " << r.error.ToString() << "\n";
        ++rejected;
      } else {
        Frame(where, rest.first(n));
      }
      rest = rest.subspan(std::min(n, rest.size()));
    }
  }

  void Frame(const std::string& where, std::span<const uint8_t> frame) {
    DecodeOutput decoded;
    Status s = decoder.Decode(frame, session, NowMs(), decoded);
    if (!s.ok()) {
      err << where << ": " << s.ToString() << "\n";
      ++rejected;
      return;
    }
    for (const auto& m : decoded.messages) out << MessageToJsonText(m) << "\n";
    if (replies && !decoded.reply.empty()) {
      out << nlohmann::json{{"reply", ToHex(decoded.reply)}}.dump() << "\n";
    }
  }
};

}  // namespace

int RunDecode(const DecodeOptions& options, const ProtocolRegistry& protocols, std::istream& in,
              std::ostream& out, std::ostream& err) {
  const ProtocolInfo* protocol = protocols.Find(options.protocol);
  if (!protocol) {
    err << "unknown protocol '" << options.protocol << "'; known:";
    for (const auto& name : protocols.Names()) err << " " << name;
    err << "\n";
    return 2;
  }
  auto framer = protocol->make_framer(options.lenient);
  auto decoder = protocol->make_decoder();
  Decoding d{*framer, *decoder, {}, out, err, options.replies};
  d.session.lenient = options.lenient;
  d.session.model = options.model;
  d.session.device_uid = options.uid;
  if (!options.hex.empty()) {
    d.Line("--hex", options.hex);
  } else {
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      std::string_view text(line);
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      if (text.empty() || text.front() == '#') continue;
      if (text.size() > kMaxLineBytes) {
        err << "line " << number << ": longer than " << kMaxLineBytes << " characters\n";
        ++d.rejected;
        continue;
      }
      d.Line("line " + std::to_string(number), text);
    }
  }
  out.flush();
  return d.rejected == 0 ? 0 : 1;
}

}  // namespace fleetd
