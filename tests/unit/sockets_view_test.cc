#include "daemon/sockets_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "daemon/report.h"

namespace sockwatch {
namespace {

using ::testing::HasSubstr;

TEST(SocketQuery, ParsesAndRejects) {
  SocketQuery q;
  ASSERT_TRUE(ParseSocketQuery("", &q).ok());
  EXPECT_EQ(q.state, kCloseWait);
  EXPECT_EQ(q.limit, kDefaultSocketLimit);
  ASSERT_TRUE(
      ParseSocketQuery("state=fin_wait2&process=my%20app&port=443&limit=5", &q)
          .ok());
  EXPECT_EQ(q.state, kFinWait2);
  EXPECT_EQ(q.process, "my app");
  EXPECT_EQ(q.port, 443);
  EXPECT_EQ(q.limit, 5u);
  for (const char* bad : {"state=closewait", "port=0", "port=70000", "port=x",
                          "limit=0", "limit=10001", "limit=-1", "colour=red",
                          "process=%zz", "process=%4", "state=new_syn_recv"}) {
    SocketQuery unchanged;
    Status s = ParseSocketQuery(bad, &unchanged);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_FALSE(s.message().empty());
  }
}

Snapshot WithCloseWait() {
  Snapshot s;
  s.attribution = true;
  s.timestamp_seconds = 1000;
  ProcessInfo nginx;
  nginx.pid = 42;
  nginx.comm = "nginx";
  nginx.unit = "nginx.service";
  nginx.open_fds = 10;
  nginx.max_fds = 1024;
  s.processes_info = {nginx};
  for (int i = 0; i < 3; ++i) {
    CloseWaitSocket cw;
    cw.family = AF_INET;
    cw.local_addr[0] = 10;
    cw.local_addr[3] = 1;
    cw.remote_addr[0] = 10;
    cw.remote_addr[3] = 2;
    cw.local_port = 443;
    cw.remote_port = 50000 + i;
    cw.owner = i < 2 ? 0 : -1;
    cw.fd = 7 + i;
    cw.entered = 1000 - 100 * (i + 1);
    cw.recv_queue = 1;
    s.close_wait.push_back(cw);
  }
  s.sockets[kCloseWait] = 3;
  s.sockets_sampled = 3;
  return s;
}

TEST(SocketsView, CloseWaitOldestFirstFilteredAndLimited) {
  Snapshot s = WithCloseWait();
  SocketQuery q;
  q.limit = 1;
  std::string json = CloseWaitSocketsJson(s, q);
  EXPECT_THAT(json, HasSubstr("\"total\":3,\"returned\":1"));
  EXPECT_THAT(json, HasSubstr("\"pid\":null,\"process\":\"unknown\""));
  EXPECT_THAT(json, HasSubstr("\"age_seconds\":300"));
  q.limit = 10;
  q.process = "nginx";
  json = CloseWaitSocketsJson(s, q);
  EXPECT_THAT(json, HasSubstr("\"total\":2,\"returned\":2"));
  EXPECT_THAT(json, HasSubstr("\"local\":\"10.0.0.1:443\""));
  EXPECT_THAT(json, HasSubstr("\"remote\":\"10.0.0.2:50001\""));
  EXPECT_THAT(json, HasSubstr("\"fd\":8"));
  q.process.clear();
  q.port = 50000;
  EXPECT_THAT(CloseWaitSocketsJson(s, q), HasSubstr("\"total\":1,"));
}

TEST(Report, CloseWaitTableAndJson) {
  Snapshot s = WithCloseWait();
  ReportOptions o;
  std::string table = ReportTable(s, o);
  EXPECT_THAT(table, HasSubstr("CLOSE_WAIT sockets by process (3 in all)"));
  EXPECT_THAT(table, HasSubstr("nginx"));
  EXPECT_THAT(table, HasSubstr("10/1024"));
  EXPECT_THAT(table, HasSubstr("3m20s"));
  std::string json = ReportJson(s, o);
  EXPECT_THAT(json,
              HasSubstr("{\"pid\":42,\"process\":\"nginx\",\"exe\":\"\","
                        "\"unit\":\"nginx.service\",\"open_fds\":10,"
                        "\"max_fds\":1024,\"sockets\":2,\"oldest_seconds\":200,"
                        "\"recv_queue_bytes\":2,\"peers\":["));
  EXPECT_THAT(json, HasSubstr("\"close_wait\":3"));
}

// With namespaces: all, every socket and holder names its namespace, the
// same process in two namespaces is two holders, and netns= filters.
TEST(SocketsView, NamespacesLabelSocketsAndHolders) {
  Snapshot s = WithCloseWait();
  s.netns_all = true;
  s.netns_labels = {"host", "pod:1234"};
  s.close_wait[1].netns = 1;
  NetnsSeries host{"host", {}, 2};
  host.sockets[kCloseWait] = 2;
  NetnsSeries pod{"pod:1234", {}, 1};
  pod.sockets[kCloseWait] = 1;
  s.netns = {host, pod};
  SocketQuery q;
  q.netns = "pod:1234";
  std::string json = CloseWaitSocketsJson(s, q);
  EXPECT_THAT(json, HasSubstr("\"total\":1,"));
  EXPECT_THAT(json, HasSubstr("\"remote\":\"10.0.0.2:50001\""));
  EXPECT_THAT(json, HasSubstr("\"netns\":\"pod:1234\"}"));
  ASSERT_TRUE(ParseSocketQuery("netns=pod%3A1234", &q).ok());
  EXPECT_EQ(q.netns, "pod:1234");

  ReportOptions o;
  json = ReportJson(s, o);
  EXPECT_THAT(json, HasSubstr("\"sockets\":1,\"oldest_seconds\":200,"
                              "\"recv_queue_bytes\":1,\"netns\":\"pod:1234\""));
  EXPECT_THAT(json, HasSubstr("\"sockets\":1,\"oldest_seconds\":100,"
                              "\"recv_queue_bytes\":1,\"netns\":\"host\""));
  EXPECT_THAT(json,
              HasSubstr("\"netns_sampled\":2,\"netns_unreadable\":0,"
                        "\"namespaces\":[{\"netns\":\"host\",\"total\":2,"));
  const std::string table = ReportTable(s, o);
  EXPECT_THAT(table, HasSubstr("Network namespaces (2 sampled)"));
  EXPECT_THAT(table, HasSubstr("pod:1234"));

  // Without namespaces: all nothing says netns.
  s.netns_all = false;
  EXPECT_THAT(ReportJson(s, o), ::testing::Not(HasSubstr("netns")));
  q.netns.clear();
  EXPECT_THAT(CloseWaitSocketsJson(s, q), ::testing::Not(HasSubstr("netns")));
}

}  // namespace
}  // namespace sockwatch
