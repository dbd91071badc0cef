// The dialect table (see ais140_layouts.h) and the syntax check that picks a
// row. Rows are assembled from shared pieces so that a vendor's deviation
// from the standard order is visible as the one piece that differs.
#include "protocol/ais140/ais140_layouts.h"

#include <algorithm>
#include <array>

namespace fleetd::ais140 {
namespace {

using enum Field;

template <size_t... N>
constexpr auto Join(const std::array<Field, N>&... parts) {
  std::array<Field, (N + ...)> out{};
  size_t at = 0;
  ((std::copy(parts.begin(), parts.end(), out.begin() + at), at += N), ...);
  return out;
}

// ---- pieces of the tracking packet, in the standard's order ----
constexpr std::array kIdent{kSkip, kVendor, kFirmware, kStatus, kEvent, kLive, kImei, kVehicleReg};
constexpr std::array kIdentNoEvent{kSkip, kVendor, kFirmware, kStatus, kLive, kImei, kVehicleReg};
constexpr std::array kFixDate{kFix, kDate, kTime};
constexpr std::array kDateFix{kDate, kTime, kFix};
constexpr std::array kFixSplitDate{kFix, kDay, kMonth, kYear, kHour, kMinute, kSecond};
constexpr std::array kGps{kLat, kLatHemi, kLng, kLngHemi, kSpeed, kHeading, kSatellites, kAltitude, kPdop,
                          kHdop, kOperator, kIgnition, kMainPower, kMainVoltage, kBatteryVoltage, kEmergency};
constexpr std::array kTamperField{kTamper};
constexpr std::array kCell{kGsm, kMcc, kMnc, kLac, kCellId};
// Four neighbour cells of three fields; the order of lac, cell id and signal
// differs per vendor, so they are not read.
constexpr std::array kNeighbours{kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip};
constexpr std::array kPacked{kSkip};  // neighbours run together in one field (CHVTS)

constexpr auto kStandard = Join(kIdent, kFixDate, kGps, kTamperField, kCell);

// ---- tracking rows ----
constexpr auto kRoadrpaExt = Join(kStandard, kNeighbours,
    std::array{kInputs, kOutputs, kAdc1, kAdc2, kFrameNumber, kOdometer, kSkip, kSkip, kSkip, kSkip, kSkip, kChecksum});
constexpr auto kRoadrpa = Join(kStandard, kNeighbours, std::array{kInputs, kOutputs, kFrameNumber, kChecksum});
constexpr auto kAtl = kRoadrpa;  // same fields; a raw checksum byte instead of CRC-32 text
constexpr auto kCtpl = Join(kStandard, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kOdometer, kChecksum, kEmpty});
constexpr auto kMark = Join(kStandard, kNeighbours,
    std::array{kInputs, kOutputs, kAdc1, kAdc2, kFrameNumber, kSkip, kSkip, kSkip, kChecksum, kEmpty});
constexpr auto kMfr = Join(kStandard, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kChecksum, kOdometer, kEmpty, kEmpty, kEmpty});
constexpr auto kITriangle = Join(kStandard, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kAdc1, kAdc2, kSkip, kSkip});
constexpr auto kTraxsmart = Join(kStandard, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kAdc1, kAdc2, kSkip, kSkip, kSkip, kSkip});
constexpr auto kSat = Join(kIdent, kFixDate, kGps, kCell, kNeighbours,
    std::array{kInputs, kOutputs, kAdc1, kAdc2, kFrameNumber, kChecksum, kEmpty});
constexpr auto kGpsbox = Join(kIdentNoEvent, kFixDate, kGps, kTamperField, kCell, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kSkip, kAdc1, kAdc2, kSkip, kSkip, kSkip, kChecksum});
constexpr auto kRlp = Join(kIdent, kDateFix, kGps, kTamperField, kCell, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kSkip, kChecksum, kEmpty});
constexpr auto kRlpShort = Join(kIdent, kDateFix, kGps, kTamperField, kCell, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kChecksum, kEmpty});
constexpr auto kRlpSensor = Join(kIdent, kDateFix, kGps, kTamperField, kCell,
    std::array{kInputs, kOutputs, kFrameNumber, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kSkip, kChecksum, kEmpty});
constexpr auto kSplitDate = Join(kIdent, kFixSplitDate, kGps, kTamperField, kCell, kNeighbours,
    std::array{kInputs, kOutputs, kFrameNumber, kChecksum, kEmpty});
constexpr auto kChvts = Join(kStandard, kPacked, std::array{kInputs, kOutputs, kFrameNumber, kChecksum});

// ---- emergency rows: EMR starts an emergency (alarm sos), SEM ends it ----
constexpr std::array kEpb{kSkip, kEmergencyType, kImei, kSkip, kDateTime, kFix, kLat, kLatHemi, kLng, kLngHemi,
                          kAltitude, kSpeed, kSkip, kSkip, kVehicleReg, kSkip, kEmpty};
constexpr std::array kEpbVendor{kSkip, kVendor, kEmergencyType, kImei, kSkip, kDateTime, kFix, kLat, kLatHemi, kLng,
                                kLngHemi, kAltitude, kSpeed, kSkip, kSkip, kVehicleReg, kSkip};
constexpr std::array kEpbCell{kSkip, kEmergencyType, kImei, kSkip, kDate, kTime, kFix, kLat, kLatHemi, kLng, kLngHemi,
                              kAltitude, kSpeed, kSkip, kSkip, kVehicleReg, kSkip, kMcc, kMnc, kLac, kCellId};
constexpr std::array kEpbSplitDate{kSkip, kEmergencyType, kImei, kSkip, kDay, kMonth, kYear, kHour, kMinute, kSecond,
                                   kFix, kLat, kLatHemi, kLng, kLngHemi, kAltitude, kSpeed, kSkip, kSkip,
                                   kVehicleReg, kSkip, kChecksum, kEmpty};

// ---- login and health ----
constexpr std::array kLogin{kSkip, kVendor, kVehicleReg, kImei, kFirmware, kSkip, kLat, kLatHemi, kLng, kLngHemi};
constexpr std::array kLoginShort{kSkip, kVehicleReg, kImei, kFirmware, kLat, kLatHemi, kLng, kLngHemi};
constexpr std::array kLoginNoReg{kSkip, kImei, kFirmware, kSkip, kLat, kLatHemi, kLng, kLngHemi};
constexpr std::array kLoginPlain{kSkip, kVendor, kFirmware, kImei, kVehicleReg};
constexpr std::array kHealth{kSkip, kVendor, kFirmware, kImei, kBatteryLevel, kSkip, kSkip, kSkip, kSkip,
                             kInputs, kOutputs, kAdc1, kAdc2};

using K = SentenceKind;
using C = ChecksumScheme;

const Layout kLayouts[] = {
    {"roadrpa_ext", K::kTracking, "", C::kCrc32Hex, kRoadrpaExt, false},
    {"roadrpa", K::kTracking, "", C::kCrc32Hex, kRoadrpa, false},
    {"atl", K::kTracking, "", C::kSumRawByte, kAtl, false},
    {"ctpl", K::kTracking, "", C::kXorHex, kCtpl, false},
    {"mark", K::kTracking, "", C::kUnverified, kMark, false},
    {"mfr", K::kTracking, "", C::kUnverified, kMfr, false},
    {"itriangle", K::kTracking, "", C::kNone, kITriangle, false},
    {"traxsmart", K::kTracking, "", C::kNone, kTraxsmart, false},
    {"sat", K::kTracking, "", C::kUnverified, kSat, false},
    {"gpsbox", K::kTracking, "", C::kUnverified, kGpsbox, false},
    {"rlp", K::kTracking, "", C::kXorHex, kRlp, false},
    {"rlp_short", K::kTracking, "", C::kXorHex, kRlpShort, false},
    {"rlp_sensor", K::kTracking, "", C::kXorHex, kRlpSensor, false},
    {"split_date", K::kTracking, "", C::kUnverified, kSplitDate, false},
    {"chvts", K::kTracking, "", C::kSumDecimal, kChvts, false},
    {"epb", K::kEmergency, "EPB", C::kNone, kEpb, false},
    {"epb_vendor", K::kEmergency, "", C::kNone, kEpbVendor, false},
    {"epb_cell", K::kEmergency, "EPB", C::kNone, kEpbCell, false},
    {"epb_split_date", K::kEmergency, "EPB", C::kUnverified, kEpbSplitDate, false},
    {"login", K::kLogin, "", C::kNone, kLogin, true},
    {"login_short", K::kLogin, "LGN", C::kNone, kLoginShort, true},
    {"login_no_reg", K::kLogin, "", C::kNone, kLoginNoReg, true},
    {"login_plain", K::kLogin, "01", C::kNone, kLoginPlain, true},
    {"health", K::kHealth, "02", C::kNone, kHealth, true},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool AllOf(std::string_view s, std::string_view allowed) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return allowed.find(c) != std::string_view::npos; });
}

bool Digits(std::string_view s, size_t min, size_t max) {
  s = Trim(s);
  return s.size() >= min && s.size() <= max && AllOf(s, "0123456789");
}

bool Decimal(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.size() + frac.size() == 0 || whole.size() > 12 || frac.size() > 12) return false;
  return AllOf(whole, "0123456789") && AllOf(frac, "0123456789");
}

bool OneOf(std::string_view s, std::initializer_list<std::string_view> values) {
  return std::find(values.begin(), values.end(), s) != values.end();
}

bool ChecksumSyntax(ChecksumScheme scheme, std::string_view s) {
  switch (scheme) {
    case C::kXorHex: return s.size() == 2 && IsHex(s);
    case C::kCrc32Hex: return s.size() == 8 && IsHex(s);
    case C::kSumDecimal: return Digits(s, 1, 3);
    case C::kSumRawByte: return s.size() <= 1;
    case C::kUnverified: return true;
    case C::kNone: return false;
  }
  return false;
}

bool FieldSyntax(Field field, ChecksumScheme scheme, std::string_view s) {
  switch (field) {
    case kSkip: case kVendor: case kFirmware: case kVehicleReg: case kOperator: return true;
    case kEmpty: return s.empty();
    case kStatus: return s.size() == 2 && AllOf(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    case kEvent: return Digits(s, 1, 3);
    case kLive: return s == "L" || s == "H";
    case kImei: return s.size() == 15 && AllOf(s, "0123456789");
    case kFix: return OneOf(s, {"0", "1", "A", "V"});
    case kDate: return Digits(s, 6, 6) || Digits(s, 8, 8);
    case kTime: return Digits(s, 6, 6);
    case kDateTime: return Digits(s, 14, 14);
    case kDay: case kMonth: case kHour: case kMinute: case kSecond: return Digits(s, 1, 2);
    case kYear: return Digits(s, 2, 2) || Digits(s, 4, 4);
    case kLat: case kLng: return Decimal(s) && Trim(s).front() != '-';
    case kLatHemi: return s == "N" || s == "S";
    case kLngHemi: return s == "E" || s == "W";
    case kSpeed: case kHeading: case kAltitude: case kPdop: case kHdop: case kMainVoltage: case kBatteryVoltage:
    case kAdc1: case kAdc2: case kOdometer: return Decimal(s);
    case kSatellites: case kGsm: case kMcc: case kMnc: case kFrameNumber: case kBatteryLevel: return Digits(s, 1, 9);
    case kIgnition: case kMainPower: case kEmergency: return s == "0" || s == "1";
    case kTamper: return s.size() <= 1;
    case kLac: case kCellId: return Trim(s).size() <= 8 && IsHex(Trim(s));
    case kInputs: return s.size() == 4 && AllOf(s, "0123456789");  // some vendors send 0002, 0012
    case kOutputs: return s.size() == 2 && AllOf(s, "01");
    case kEmergencyType: return s == "EMR" || s == "SEM";
    case kChecksum: return ChecksumSyntax(scheme, s);
  }
  return false;
}

bool Matches(const Layout& layout, const Sentence& sentence) {
  const size_t n = layout.fields.size();
  if (sentence.count < n || (!layout.open_tail && sentence.count != n)) return false;
  if (!layout.header.empty() && sentence.fields[0] != layout.header) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!FieldSyntax(layout.fields[i], layout.checksum, sentence.fields[i])) return false;
  }
  return true;
}

}  // namespace

std::span<const Layout> Layouts() { return kLayouts; }

const Layout* FindLayout(const Sentence& sentence) {
  for (const Layout& layout : kLayouts) {
    if (Matches(layout, sentence)) return &layout;
  }
  return nullptr;
}

}  // namespace fleetd::ais140
