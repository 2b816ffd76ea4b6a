// The parts of collectors/netns_socket.h that need no privilege. Opening a
// socket inside another namespace is tested against the real kernel in
// tests/integration/netns_socket_test.cc (root).
#include "collectors/netns_socket.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace sockwatch {
namespace {

TEST(NetnsSocketTest, ParsesNamespaceLinks) {
  EXPECT_EQ(ParseNetnsLink("net:[4026531840]"), 4026531840u);
  EXPECT_EQ(ParseNetnsLink("net:[1]"), 1u);
  EXPECT_EQ(ParseNetnsLink("net:[18446744073709551615]"), UINT64_MAX);
}

TEST(NetnsSocketTest, RejectsOtherLinks) {
  for (const char* link :
       {"", "net:[]", "net:[", "net:4026531840", "net:[4026531840", "net:[-1]",
        "net:[+1]", "net:[12a]", "net:[ 12]", "net:[12] ", "mnt:[4026531840]",
        "socket:[12345]", "net:[18446744073709551616]", "[4026531840]"}) {
    EXPECT_EQ(ParseNetnsLink(link), std::nullopt) << link;
  }
}

TEST(NetnsSocketTest, InodeOfOwnNamespaceMatchesItsLink) {
  uint64_t inode = 0;
  ASSERT_EQ(NetnsInode("/proc/self/ns/net", &inode), 0);
  char link[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/net", link, sizeof(link) - 1), 0);
  EXPECT_EQ(ParseNetnsLink(link), inode) << link;
}

TEST(NetnsSocketTest, InodeErrors) {
  uint64_t inode = 7;
  EXPECT_EQ(NetnsInode("/nonexistent/ns/net", &inode), ENOENT);
  // A regular file is not a namespace, whatever its inode.
  EXPECT_EQ(NetnsInode("/proc/self/status", &inode), EINVAL);
  EXPECT_EQ(inode, 7u);
}

TEST(NetnsSocketTest, OpenFailsCleanlyOnMissingPath) {
  int error = 0;
  EXPECT_EQ(OpenSockDiagSocketIn("/nonexistent/ns/net", &error), -1);
  EXPECT_EQ(error, ENOENT);
}

TEST(NetnsSocketTest, OpenInOwnNamespaceWorksOrNeedsCapSysAdmin) {
  int error = 0;
  const int fd = OpenSockDiagSocketIn("/proc/self/ns/net", &error);
  if (fd >= 0) {
    close(fd);  // with CAP_SYS_ADMIN (root in the test container)
  } else {
    EXPECT_EQ(error, EPERM);
  }
}

}  // namespace
}  // namespace sockwatch
