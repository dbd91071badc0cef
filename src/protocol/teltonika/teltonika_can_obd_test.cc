// The OBD II and CAN IO elements (teltonika_io_table.cc) on real packets of
// the shared vectors (teltonika-009, -013, -024: CAN and OBD devices) and on
// hand-built codec 8 packets; and the attribute order IoApplier guarantees
// (sorted, last value wins, more elements than it collects).
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "fleetd/attribute_keys.h"
#include "protocol/teltonika/teltonika_decoder.h"
#include "protocol/teltonika/teltonika_encoder.h"
#include "protocol/teltonika/teltonika_vectors.h"

namespace fleetd {
namespace {

// The messages of one vector case, decoded strictly with a session that has
// already shaken hands.
std::vector<Message> DecodeVector(const std::string& id) {
  auto vectors = teltonika::LoadTeltonikaVectors();
  if (!vectors) return {};
  for (const auto& c : vectors->cases) {
    if (c.id != id) continue;
    TeltonikaDecoder decoder;
    DecodeSession session{"356307042441013", false, c.model};
    DecodeOutput out;
    EXPECT_TRUE(decoder.Decode(c.packet, session, 1, out).ok()) << id;
    return out.messages;
  }
  ADD_FAILURE() << id << " not in the vectors";
  return {};
}

double Number(const Message& m, std::string_view key) {
  auto it = m.attributes.find(key);
  if (it == m.attributes.end()) {
    ADD_FAILURE() << "no attribute " << key;
    return -1;
  }
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  return static_cast<double>(std::get<int64_t>(it->second));
}

// Real packets: values read by hand from the bytes.

TEST(TeltonikaCanObd, ObdDongleRecordFromVector013) {
  const auto messages = DecodeVector("teltonika-013");  // codec 8E, an FMB with an OBD dongle
  ASSERT_EQ(messages.size(), 1u);
  const Message& m = messages[0];
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDtcCount)), 7);  // IO 30
  EXPECT_EQ(m.rpm, 1439);                                             // IO 36
  EXPECT_NEAR(*m.odometer_km, 41.397, 1e-9);                          // IO 16, no CAN mileage
  EXPECT_FALSE(m.attributes.contains("io30"));
  EXPECT_FALSE(m.attributes.contains("io36"));
}

TEST(TeltonikaCanObd, CanAdapterRecordFromVector024) {
  const auto messages = DecodeVector("teltonika-024");  // codec 8, LVCAN elements
  ASSERT_EQ(messages.size(), 1u);
  const Message& m = messages[0];
  EXPECT_EQ(m.rpm, 15);                                       // IO 85
  EXPECT_NEAR(*m.odometer_km, 0.071, 1e-12);                  // IO 87: 71 m
  EXPECT_EQ(Number(m, attr::kVehicleSpeedKmh), 0);            // IO 81
  EXPECT_EQ(Number(m, attr::kFuelLevelL), 0);                 // IO 84
  EXPECT_EQ(m.fuel_pct, 0);                                   // IO 89
  EXPECT_EQ(m.engine_temp_c, 0);                              // IO 115
  EXPECT_EQ(m.speed_kmh, 0);                                  // the record's GNSS speed
  EXPECT_EQ(m.satellites, 18);
  EXPECT_FALSE(m.attributes.contains("io87"));
}

TEST(TeltonikaCanObd, Codec16CanRecordsFromVector009) {
  const auto messages = DecodeVector("teltonika-009");
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].rpm, 56);
  EXPECT_EQ(messages[1].rpm, 55);
  for (const Message& m : messages) {
    EXPECT_EQ(Number(m, attr::kVehicleSpeedKmh), 1);
    EXPECT_EQ(Number(m, attr::kThrottlePct), 1);
    EXPECT_EQ(Number(m, attr::kFuelUsedL), 0);
    EXPECT_EQ(Number(m, attr::kFuelRateLph), 0);
    EXPECT_NEAR(*m.odometer_km, 0.096, 1e-12);
  }
}

// Hand-built packets (the encoder), for the ids no vector carries.

teltonika::AvlRecord Record() {
  teltonika::AvlRecord r;
  r.time_ms = 1779359400000;
  r.lat = 54.6872;
  r.lng = 25.2797;
  r.satellites = 9;
  r.speed_kmh = 48;  // GNSS
  return r;
}

Message DecodeOne(const teltonika::AvlRecord& record, std::string model = "") {
  TeltonikaDecoder decoder;
  DecodeSession session{"356307042441013", false, std::move(model)};
  DecodeOutput out;
  EXPECT_TRUE(decoder.Decode(teltonika::EncodeCodec8({record}), session, 1, out).ok());
  EXPECT_EQ(out.messages.size(), 1u);
  return out.messages.empty() ? Message{} : out.messages[0];
}

TEST(TeltonikaCanObd, ObdElementsHandBuilt) {
  auto r = Record();
  r.io1 = {{30, 2}, {31, 57}, {32, 0xFB}, {37, 52}, {41, 18}, {48, 63}};
  r.io2 = {{36, 2150}, {43, 12}, {49, 340}};
  const Message m = DecodeOne(r);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDtcCount)), 2);
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kEngineLoadPct)), 57);
  EXPECT_EQ(m.engine_temp_c, -5);  // signed byte
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kVehicleSpeedKmh)), 52);
  EXPECT_EQ(m.speed_kmh, 48);      // the schema speed stays the GNSS speed
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kThrottlePct)), 18);
  EXPECT_EQ(m.fuel_pct, 63);
  EXPECT_EQ(m.rpm, 2150);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kMilDistanceKm)), 12);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kDtcClearedDistanceKm)), 340);
}

TEST(TeltonikaCanObd, CanElementsHandBuilt) {
  auto r = Record();
  r.io1 = {{81, 77}, {82, 35}, {89, 41}};
  r.io2 = {{84, 1234}, {85, 1800}, {110, 87}, {115, 0xFF9C}};  // 115: -100 = -10.0 degC
  r.io4 = {{83, 56789}, {87, 123456789}};
  const Message m = DecodeOne(r);
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kVehicleSpeedKmh)), 77);
  EXPECT_EQ(std::get<double>(m.attributes.at(attr::kThrottlePct)), 35);
  EXPECT_EQ(m.fuel_pct, 41);
  EXPECT_NEAR(std::get<double>(m.attributes.at(attr::kFuelLevelL)), 123.4, 1e-9);
  EXPECT_EQ(m.rpm, 1800);
  EXPECT_NEAR(std::get<double>(m.attributes.at(attr::kFuelRateLph)), 8.7, 1e-9);
  EXPECT_NEAR(*m.engine_temp_c, -10.0, 1e-9);
  EXPECT_NEAR(std::get<double>(m.attributes.at(attr::kFuelUsedL)), 5678.9, 1e-9);
  EXPECT_NEAR(*m.odometer_km, 123456.789, 1e-9);
}

TEST(TeltonikaCanObd, VehicleOdometerWinsOverGnssOdometerInEitherOrder) {
  auto r = Record();
  r.io4 = {{16, 5000}, {87, 900000}};
  EXPECT_NEAR(*DecodeOne(r).odometer_km, 900.0, 1e-9);
  r.io4 = {{87, 900000}, {16, 5000}};
  EXPECT_NEAR(*DecodeOne(r).odometer_km, 900.0, 1e-9);
  r.io4 = {{16, 5000}};
  EXPECT_NEAR(*DecodeOne(r).odometer_km, 5.0, 1e-9);
}

TEST(TeltonikaCanObd, ObdAndCanRowsAreFmbOnly) {
  auto r = Record();
  r.io1 = {{37, 52}, {81, 77}};
  r.io4 = {{87, 900000}};
  const Message m = DecodeOne(r, "GH5200");
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io37")), 52);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io81")), 77);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io87")), 900000);
  EXPECT_FALSE(m.odometer_km.has_value());
  EXPECT_FALSE(m.attributes.contains(attr::kVehicleSpeedKmh));
}

// IoApplier's ordering: every attribute lands in key order, and find()
// (a binary search) reaches each of them.

void ExpectSortedAndFindable(const Message& m) {
  std::string previous;
  for (const auto& [key, value] : m.attributes) {
    EXPECT_LT(previous, key) << "attributes out of order";
    previous = key;
    EXPECT_TRUE(m.attributes.contains(key)) << key;
  }
}

TEST(TeltonikaIoOrder, ManyUnmappedIdsComeOutSorted) {
  auto r = Record();
  for (uint8_t id : {200, 2, 100, 10, 1, 99, 255, 101, 11, 110, 150, 19}) r.io1.push_back({id, id});
  for (uint8_t id : {5, 50, 7, 70}) r.io2.push_back({id, uint16_t{1000} + id});
  const Message m = DecodeOne(r);
  ExpectSortedAndFindable(m);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io255")), 255);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io5")), 1005);
  EXPECT_EQ(std::get<bool>(m.attributes.at(attr::kDigitalInput2)), true);  // id 2
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kPriority)), 0);
}

TEST(TeltonikaIoOrder, RepeatedIdKeepsTheLastValue) {
  auto r = Record();
  r.io1 = {{200, 1}, {21, 3}, {200, 2}};
  r.io2 = {{200, 3}};  // a later group: the last value on the wire
  const Message m = DecodeOne(r);
  ExpectSortedAndFindable(m);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io200")), 3);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at(attr::kGsmSignal)), 3);
}

TEST(TeltonikaIoOrder, MoreElementsThanCollectedStillSortedAndComplete) {
  auto r = Record();
  for (int id = 100; id < 170; ++id) r.io1.push_back({static_cast<uint8_t>(id), 7});  // 70 > 48 collected
  const Message m = DecodeOne(r);
  ExpectSortedAndFindable(m);
  std::set<std::string> io_keys;
  for (const auto& [key, value] : m.attributes) {
    if (key.rfind("io", 0) == 0) io_keys.insert(key);
  }
  // 70 elements, of which the table maps 110 (fuel rate) and 113 (battery level), 115 (engine temp).
  EXPECT_EQ(io_keys.size(), 67u);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io169")), 7);
  EXPECT_EQ(std::get<int64_t>(m.attributes.at("io100")), 7);
}

TEST(Attributes, AppendKeepsOrderAndFallsBackToSet) {
  Attributes a;
  a.Append("b", int64_t{1});
  a.Append("d", true);
  a.Append("c", 2.5);                // out of order: inserted, not appended
  a.Append("d", std::string("x"));   // existing key: replaced
  ASSERT_EQ(a.size(), 3u);
  auto it = a.begin();
  EXPECT_EQ((it++)->first, "b");
  EXPECT_EQ((it++)->first, "c");
  EXPECT_EQ(it->first, "d");
  EXPECT_EQ(std::get<std::string>(a.at("d")), "x");
  EXPECT_EQ(std::get<double>(a.at("c")), 2.5);
  a.Append("ab", int64_t{3});        // shares a first byte with "b"'s neighbours
  EXPECT_EQ(a.begin()->first, "ab");
  EXPECT_TRUE(a.contains("b"));
}

}  // namespace
}  // namespace fleetd
