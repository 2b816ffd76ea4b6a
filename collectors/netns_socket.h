// The kernel seam for sampling other network namespaces: a namespace's
// identity, and a sock_diag socket that lives inside it.
//
// A netlink socket belongs to the network namespace of the thread that
// created it, for its whole life, whatever namespace the threads using it
// are in later. So OpenSockDiagSocketIn() creates the socket on a
// short-lived thread that enters the namespace (setns) and then ends: the
// caller's thread, usually the sampler, never changes namespace. An open
// socket keeps its namespace alive after its last process is gone; whoever
// caches these sockets must close them when the namespace is no longer
// found, or the kernel never frees it.
//
// Needs CAP_SYS_ADMIN (setns into a network namespace) and the right to read
// /proc/<pid>/ns/net of the holder (ptrace read access). No descriptor
// leaks on any path; every descriptor is close-on-exec. Thread-safe.
#ifndef SOCKWATCH_COLLECTORS_NETNS_SOCKET_H_
#define SOCKWATCH_COLLECTORS_NETNS_SOCKET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockwatch {

// The namespace inode of a namespace file: /proc/<pid>/ns/net, or a name
// bind-mounted by `ip netns add` (/run/netns/<name>). Two paths name the
// same namespace exactly when their inodes are equal. Returns 0 and sets
// *inode, or returns an errno: ENOENT (the process or name is gone), EACCES
// or EPERM (not allowed to look), EINVAL (the path is not a namespace file,
// e.g. a /run/netns entry whose mount is gone, which stat()s as a plain
// file of /run).
int NetnsInode(const std::string& path, uint64_t* inode);

// The inode of a readlink() of /proc/<pid>/ns/net: "net:[4026531840]" ->
// 4026531840. nullopt for anything else (another namespace type included).
std::optional<uint64_t> ParseNetnsLink(std::string_view link);

// A NETLINK_SOCK_DIAG socket (SOCK_RAW | SOCK_CLOEXEC, not bound) created
// inside the network namespace at `netns_path`. Returns the descriptor, or
// -1 with *error set: ENOENT or ESRCH (the namespace's process or name
// vanished), EPERM (no CAP_SYS_ADMIN), EINVAL (not a network namespace
// file), EAGAIN (no thread could be started), or what socket() failed with.
int OpenSockDiagSocketIn(const std::string& netns_path, int* error);

}  // namespace sockwatch

#endif  // SOCKWATCH_COLLECTORS_NETNS_SOCKET_H_
