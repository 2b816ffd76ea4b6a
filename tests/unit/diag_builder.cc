#include "tests/unit/diag_builder.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace sockwatch::testing {
namespace {

void Append(std::vector<uint8_t>& out, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + len);
  out.resize(MNL_ALIGN(out.size()), 0);
}

void Attribute(std::vector<uint8_t>& out, uint16_t type, const void* data,
               uint16_t len) {
  nlattr attr{static_cast<uint16_t>(sizeof(nlattr) + len), type};
  out.insert(out.end(), reinterpret_cast<uint8_t*>(&attr),
             reinterpret_cast<uint8_t*>(&attr) + sizeof(attr));
  Append(out, data, len);
}

}  // namespace

void DiagBuilder::Message(uint16_t type, uint16_t flags,
                          const std::vector<uint8_t>& body) {
  nlmsghdr h{};
  h.nlmsg_len = sizeof(nlmsghdr) + body.size();
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq_;
  h.nlmsg_pid = port_id_;
  std::vector<uint8_t> msg;
  Append(msg, &h, sizeof(h));
  msg.insert(msg.end(), body.begin(), body.end());
  Append(bytes_, msg.data(), msg.size());
}

DiagBuilder& DiagBuilder::Socket(const FakeSocket& s, uint16_t flags) {
  inet_diag_msg m{};
  m.idiag_family = s.family;
  m.idiag_state = s.state;
  m.id.idiag_sport = htons(s.local_port);
  m.id.idiag_dport = htons(s.remote_port);
  m.id.idiag_src[0] = htonl(0x7f000001);
  m.id.idiag_dst[0] = htonl(0x7f000001);
  m.id.idiag_cookie[0] = static_cast<uint32_t>(s.cookie);
  m.id.idiag_cookie[1] = static_cast<uint32_t>(s.cookie >> 32);
  m.idiag_inode = s.inode;
  m.idiag_rqueue = s.recv_queue;
  m.idiag_wqueue = s.send_queue;
  std::vector<uint8_t> body;
  Append(body, &m, sizeof(m));
  if (s.cgroup_id != 0) {
    Attribute(body, INET_DIAG_CGROUP_ID, &s.cgroup_id, sizeof(s.cgroup_id));
  }
  if (s.last_data_recv_ms >= 0) {
    tcp_info info{};
    info.tcpi_state = s.state;
    info.tcpi_last_data_recv = static_cast<uint32_t>(s.last_data_recv_ms);
    info.tcpi_last_ack_recv = static_cast<uint32_t>(s.last_data_recv_ms);
    Attribute(body, INET_DIAG_INFO, &info, sizeof(info));
  }
  Message(SOCK_DIAG_BY_FAMILY, flags, body);
  return *this;
}

DiagBuilder& DiagBuilder::Done(uint16_t flags) {
  int32_t zero = 0;
  std::vector<uint8_t> body(sizeof(zero));
  std::memcpy(body.data(), &zero, sizeof(zero));
  Message(NLMSG_DONE, flags, body);
  return *this;
}

DiagBuilder& DiagBuilder::Error(int err) {
  nlmsgerr e{};
  e.error = -err;
  std::vector<uint8_t> body(sizeof(e));
  std::memcpy(body.data(), &e, sizeof(e));
  Message(NLMSG_ERROR, 0, body);
  return *this;
}

DiagBuilder& DiagBuilder::Raw(const std::vector<uint8_t>& bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  return *this;
}

Status FakeTransport::Send(const void* message, size_t length) {
  const auto* bytes = static_cast<const uint8_t*>(message);
  for (size_t off = 0; off < length;) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes + off);
    const size_t body = nlh->nlmsg_type == TCPDIAG_GETSOCK
                            ? sizeof(inet_diag_req)
                            : sizeof(inet_diag_req_v2);
    if (length - off < sizeof(nlmsghdr) ||
        nlh->nlmsg_len < NLMSG_LENGTH(body) || nlh->nlmsg_len > length - off) {
      return Status::Error("short request", EINVAL);
    }
    Request r;
    if (nlh->nlmsg_type == TCPDIAG_GETSOCK) {
      const auto* req =
          static_cast<const inet_diag_req*>(mnl_nlmsg_get_payload(nlh));
      r = {req->idiag_family, req->idiag_states, req->idiag_ext,
           nlh->nlmsg_seq};
    } else {
      const auto* req =
          static_cast<const inet_diag_req_v2*>(mnl_nlmsg_get_payload(nlh));
      r = {req->sdiag_family, req->idiag_states, req->idiag_ext,
           nlh->nlmsg_seq};
      r.cookie = static_cast<uint64_t>(req->id.idiag_cookie[1]) << 32 |
                 req->id.idiag_cookie[0];
      r.local_port = ntohs(req->id.idiag_sport);
    }
    r.dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    requests.push_back(r);
    for (auto& datagram : respond_(r)) queue_.push_back(std::move(datagram));
    off += MNL_ALIGN(nlh->nlmsg_len);
  }
  return Status::Ok();
}

RecvResult FakeTransport::Recv(uint8_t* buffer, size_t capacity) {
  if (queue_.empty()) return RecvResult{-1, EAGAIN, false};
  std::vector<uint8_t> d = std::move(queue_.front());
  queue_.pop_front();
  if (d.size() == 2 && d[0] == kErrorMarker) return RecvResult{-1, d[1], false};
  if (d.size() == 1 && d[0] == kTruncMarker) {
    return RecvResult{static_cast<ssize_t>(capacity), 0, true};
  }
  if (d.size() > capacity) {
    std::memcpy(buffer, d.data(), capacity);
    return RecvResult{static_cast<ssize_t>(capacity), 0, true};
  }
  std::memcpy(buffer, d.data(), d.size());
  return RecvResult{static_cast<ssize_t>(d.size()), 0, false};
}

}  // namespace sockwatch::testing
