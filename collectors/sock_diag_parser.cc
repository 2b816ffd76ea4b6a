#include "collectors/sock_diag_parser.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "collectors/tcp_state.h"

namespace sockwatch {
namespace {

void ReadTcpInfo(const nlattr* attr, SocketRecord& rec) {
  tcp_info info{};
  size_t len = std::min<size_t>(mnl_attr_get_payload_len(attr), sizeof(info));
  std::memcpy(&info, mnl_attr_get_payload(attr), len);
  rec.has_tcp_info = true;
  rec.last_data_recv_ms = info.tcpi_last_data_recv;
  rec.last_ack_recv_ms = info.tcpi_last_ack_recv;
}

// Fills `rec` from one SOCK_DIAG_BY_FAMILY message; false when too short.
bool ReadSocket(const nlmsghdr* nlh, SocketRecord& rec) {
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(inet_diag_msg)) return false;
  const auto* msg =
      static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  rec = SocketRecord{};
  rec.family = msg->idiag_family;
  // Bound, not listening sockets come back (only when TCP_BOUND_INACTIVE is
  // asked for) with the state they really have, TCP_CLOSE; no other socket
  // in TCP_CLOSE is in the tables the kernel walks.
  rec.state =
      msg->idiag_state == kClose ? uint8_t{kBoundInactive} : msg->idiag_state;
  rec.local_port = ntohs(msg->id.idiag_sport);
  rec.remote_port = ntohs(msg->id.idiag_dport);
  std::memcpy(rec.local_addr.data(), msg->id.idiag_src, 16);
  std::memcpy(rec.remote_addr.data(), msg->id.idiag_dst, 16);
  rec.inode = msg->idiag_inode;
  rec.uid = msg->idiag_uid;
  rec.cookie = static_cast<uint64_t>(msg->id.idiag_cookie[1]) << 32 |
               msg->id.idiag_cookie[0];
  rec.ifindex = msg->id.idiag_if;
  rec.recv_queue = msg->idiag_rqueue;
  rec.send_queue = msg->idiag_wqueue;

  const auto* attr = static_cast<const nlattr*>(
      mnl_nlmsg_get_payload_offset(nlh, sizeof(inet_diag_msg)));
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (; mnl_attr_ok(
           attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
       attr = mnl_attr_next(attr)) {
    switch (mnl_attr_get_type(attr)) {
      case INET_DIAG_INFO:
        ReadTcpInfo(attr, rec);
        break;
      case INET_DIAG_CGROUP_ID:
        if (mnl_attr_get_payload_len(attr) >= sizeof(uint64_t)) {
          std::memcpy(&rec.cgroup_id, mnl_attr_get_payload(attr),
                      sizeof(uint64_t));
        }
        break;
      default:
        break;
    }
  }
  return true;
}

}  // namespace

bool NetlinkMessageFits(const void* data, size_t remaining) {
  if (remaining < sizeof(nlmsghdr)) return false;
  const auto* nlh = static_cast<const nlmsghdr*>(data);
  return nlh->nlmsg_len >= sizeof(nlmsghdr) && nlh->nlmsg_len <= remaining;
}

ChunkResult ParseDiagChunk(const uint8_t* data, size_t len, uint32_t seq,
                           uint32_t port_id, SocketSink& sink) {
  ChunkResult result;
  int remaining = static_cast<int>(std::min<size_t>(len, INT32_MAX));
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(data);
  SocketRecord rec;
  while (remaining > 0) {
    if (!NetlinkMessageFits(nlh, remaining)) {
      result.outcome = ChunkResult::Outcome::kMalformed;
      return result;
    }
    if (nlh->nlmsg_seq != seq ||
        (port_id != 0 && nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != port_id)) {
      result.outcome = ChunkResult::Outcome::kForeign;
      return result;
    }
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) result.interrupted = true;

    switch (nlh->nlmsg_type) {
      case NLMSG_DONE:
        result.outcome = ChunkResult::Outcome::kDone;
        return result;
      case NLMSG_ERROR: {
        if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) {
          result.outcome = ChunkResult::Outcome::kMalformed;
          return result;
        }
        const auto* err =
            static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        // An error code of 0 is an acknowledgement: the request is complete.
        result.outcome = err->error == 0 ? ChunkResult::Outcome::kDone
                                         : ChunkResult::Outcome::kError;
        result.error = -err->error;
        return result;
      }
      case SOCK_DIAG_BY_FAMILY:
      case TCPDIAG_GETSOCK:  // replies to the older "any family" request
        if (ReadSocket(nlh, rec)) {
          sink.OnSocket(rec);
          ++result.sockets;
        } else {
          ++result.skipped;
        }
        break;
      default:  // NLMSG_NOOP and anything newer: nothing to read.
        break;
    }
    nlh = mnl_nlmsg_next(nlh, &remaining);
  }
  return result;
}

}  // namespace sockwatch
