// GT06 message handlers: one function per message type (or family of types
// sharing a layout). The dispatch table in gt06_decoder.cc picks the handler
// by protocol number; a handler reads Context::packet.content and fills
// Context::msg. Internal to gt06.
#pragma once

#include <cstdint>
#include <vector>

#include "fleetd/decoder.h"
#include "protocol/gt06/gt06_fields.h"
#include "protocol/gt06/gt06_wire.h"

namespace fleetd::gt06 {

struct Context {
  const Packet& packet;
  DecodeSession& session;
  Model model;
  TimestampMs received_at = 0;
  Message& msg;                  // pre-filled with device, protocol, time received, kind
  std::vector<uint8_t>& reply;   // for handlers whose reply is not the standard ack
  bool emit = true;              // false: the frame yields no message (a bare request)
};

using Handler = Status (*)(Context&);

// gt06_decode_location.cc: messages built around a GPS block.
Status DecodeLogin(Context& c);         // 0x01
Status DecodeGpsOnly(Context& c);       // 0x10, 0x1E
Status DecodeGpsLbs6(Context& c);       // 0x11
Status DecodeGpsLbs1(Context& c);       // 0x12
Status DecodeGpsLbs2(Context& c);       // 0x22 (and NT-family 0x25)
Status DecodeGpsLbsRfid(Context& c);    // 0x17 with a length field (else Wi-Fi)
Status DecodeLbsMultiple3(Context& c);  // 0x24
Status DecodeGpsLbs5(Context& c);       // 0x31
Status DecodeGpsLbsStatus4(Context& c); // 0x32 / 0x33 (0x7979: AZ735)
Status DecodeX1Gps(Context& c);         // 0x34
Status DecodeGpsLbs3(Context& c);       // 0x37
Status DecodeGpsLbs8(Context& c);       // 0x38
Status DecodeIButton(Context& c);       // 0x61
Status DecodeGpsLbs7(Context& c);       // 0xA0

// gt06_decode_status.cc: status, heartbeat and alarm messages.
Status DecodeStatus(Context& c);          // 0x13
Status DecodeHeartbeat(Context& c);       // 0x23
Status DecodeGpsLbsStatus(Context& c);    // 0x16, 0x26, 0x27, 0xA4
Status DecodeLbsStatus(Context& c);       // 0x19
Status DecodeLbsAlarm(Context& c);        // 0xA5
Status DecodeLbsAddress(Context& c);      // 0xA7
Status DecodeAlarmEvent(Context& c);      // 0x95
Status DecodeStatus2(Context& c);         // 0x36
Status DecodeFenceSingle(Context& c);     // 0xA3
Status DecodeDeviceStatus(Context& c);    // 0xF1
Status DecodePeripheral(Context& c);      // 0xF2

// gt06_decode_network.cc: cell and Wi-Fi reports without a fix.
Status DecodeLbsMultiple(Context& c);     // 0x18, 0x28, 0x2C, 0x2E, 0xA1
Status DecodeWifi(Context& c);            // 0x69 (and count-framed 0x17)
Status DecodeWifi3(Context& c);           // 0xA2 (or the LW 4G status layout)
Status DecodeWifi4(Context& c);           // 0xF3

// gt06_decode_info.cc: text, information and multi-module messages.
Status DecodeString(Context& c);          // 0x15
Status DecodeStringInfo(Context& c);      // 0x21
Status DecodeModular(Context& c);         // 0x70
Status DecodeTimeRequest(Context& c);     // 0x8A
Status DecodeInfo(Context& c);            // 0x94
Status DecodeSerialData(Context& c);      // 0x9B

// gt06_decode_obd.cc: Concox OBD trackers.
Status DecodePid(Context& c);             // 0x66, OBD-II PIDs
Status DecodeObd(Context& c);             // 0x8C, Concox OBD items

// Shared by the files above.
Status Truncated();
// Records a device clock reading for messages that carry no fix.
void SetDeviceTime(Message& msg, TimestampMs ts);

}  // namespace fleetd::gt06
