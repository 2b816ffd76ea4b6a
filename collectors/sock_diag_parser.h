// Pure parser for NETLINK_SOCK_DIAG replies (inet_diag_msg + attributes).
//
// ParseDiagChunk() reads one datagram as received from the kernel, which
// holds zero or more netlink messages, and passes each socket to a sink. It
// does no I/O and keeps no state between calls, so it is tested with
// hand-built buffers and recorded dumps. Thread-safe (no shared state).
#ifndef SOCKWATCH_COLLECTORS_SOCK_DIAG_PARSER_H_
#define SOCKWATCH_COLLECTORS_SOCK_DIAG_PARSER_H_

#include <cstddef>
#include <cstdint>

#include "collectors/socket_record.h"

namespace sockwatch {

struct ChunkResult {
  enum class Outcome {
    kMore,       // all messages parsed, the dump goes on
    kDone,       // NLMSG_DONE seen: the dump ended successfully
    kError,      // NLMSG_ERROR from the kernel; see error
    kMalformed,  // bytes that are not a well-formed netlink message
    kForeign,    // a message with another sequence number or port id
  };
  Outcome outcome = Outcome::kMore;
  int error = 0;             // positive errno for kError
  bool interrupted = false;  // some message carried NLM_F_DUMP_INTR
  size_t sockets = 0;        // records passed to the sink
  size_t skipped = 0;        // socket messages too short to use, skipped
};

// True when a whole netlink message starts at `data` within `remaining`
// bytes. (libmnl's mnl_nlmsg_ok casts the length to int and so accepts
// lengths of 2 GiB and more.)
bool NetlinkMessageFits(const void* data, size_t remaining);

// Parses `len` bytes at `data`. Messages must carry `seq` and `port_id`
// (port_id 0 accepts any, for replays). Stops at the first DONE, ERROR,
// malformed or foreign message; records before it have been delivered.
ChunkResult ParseDiagChunk(const uint8_t* data, size_t len, uint32_t seq,
                           uint32_t port_id, SocketSink& sink);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_SOCK_DIAG_PARSER_H_
