// --debug.record-dump FILE keeps the raw netlink replies of a sample.

#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include <cstring>

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it {
namespace {

struct DumpSummary {
  std::string error;      // "" when the file is a clean nlmsghdr sequence
  int diag_messages = 0;  // inet_diag_msg replies (TCPDIAG_GETSOCK)
  int done_messages = 0;  // NLMSG_DONE
};

DumpSummary Walk(const std::string& data) {
  DumpSummary summary;
  size_t offset = 0;
  for (int i = 0; i < 10000000 && offset < data.size(); ++i) {
    nlmsghdr header;
    if (data.size() - offset < sizeof(header)) {
      summary.error = "trailing bytes at offset " + std::to_string(offset);
      return summary;
    }
    memcpy(&header, data.data() + offset, sizeof(header));
    if (header.nlmsg_len < sizeof(header) ||
        header.nlmsg_len > data.size() - offset) {
      summary.error = "bad nlmsg_len " + std::to_string(header.nlmsg_len) +
                      " at offset " + std::to_string(offset);
      return summary;
    }
    if (header.nlmsg_type == TCPDIAG_GETSOCK &&
        header.nlmsg_len >= NLMSG_LENGTH(sizeof(inet_diag_msg))) {
      ++summary.diag_messages;
    } else if (header.nlmsg_type == NLMSG_DONE) {
      ++summary.done_messages;
    }
    offset += NLMSG_ALIGN(header.nlmsg_len);
  }
  return summary;
}

TEST_F(MixTest, RecordDumpHoldsRawNetlinkReplies) {
  TempDir dir;
  const std::string dump = dir.File("replies.nl");
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9982;
  options.extra_args = {"--debug.record-dump", dump};
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));

  std::string data;
  EXPECT_TRUE(WaitFor(milliseconds(5000), milliseconds(100),
                      [&] {
                        data = ReadFile(dump);
                        return !data.empty();
                      }))
      << dump << " is missing or empty after the first sample";
  // Read it whole once the daemon is gone, not in the middle of a write.
  const ExitStatus status = daemon_->process().Stop();
  EXPECT_FALSE(status.forced) << status.ToString();
  data = ReadFile(dump);
  // A sample's replies list at least every socket of the mix (the file may
  // hold more than one sample) and end each dump with NLMSG_DONE.
  const DumpSummary summary = Walk(data);
  EXPECT_EQ(summary.error, "") << data.size() << " bytes";
  EXPECT_GE(summary.diag_messages, Sum(mix_->ByState()) + 1);
  EXPECT_GE(summary.done_messages, 2) << "one per dump, IPv4 and IPv6";
}

}  // namespace
}  // namespace sockwatch::it
