// GET /sockets beyond CLOSE_WAIT: bad parameters get a 400 that says why,
// and a live query of another state returns exactly the sockets the test
// holds, each with its holder and fd.

#include "attribution_support.h"
#include "gtest/gtest.h"

namespace sockwatch::it {
namespace {

constexpr uint16_t kPort = 7501;
constexpr int kPairs = 3;

using SocketsTest = AttributionTest;

TEST_F(SocketsTest, BadParametersAre400AndLiveStatesAreExact) {
  Agent* server = NewAgent("swt_lsrv");
  Agent* client = NewAgent("swt_lcli");
  ASSERT_FALSE(HasFailure());
  int listener = -1;
  ASSERT_EQ(server->Listen(kPort, &listener), "");
  std::vector<std::pair<AgentSocket, AgentSocket>> pairs(kPairs);
  for (auto& [s, c] : pairs) {
    ASSERT_EQ(MakeEstablished(server, client, kPort, &s, &c), "");
  }
  ASSERT_NO_FATAL_FAILURE(Settle());
  DaemonOptions options;
  options.config_yaml = FastConfig();
  options.port = 9964;
  ASSERT_NO_FATAL_FAILURE(StartDaemon(options));

  // Each bad parameter is refused with a message naming what is wrong.
  const std::pair<const char*, const char*> bad[] = {
      {"state=bogus", "state"},
      {"state=", "state"},
      {"limit=0", "limit"},
      {"limit=10001", "limit"},
      {"limit=-1", "limit"},
      {"port=70000", "port"},
      {"port=0", "port"},
      {"port=http", "port"},
      {"unknown=1", "\"unknown\""},
      {"process=", "process"},
      {"state=close_wait&x", "\"x\""}};
  std::string error;
  for (const auto& [query, word] : bad) {
    SCOPED_TRACE(query);
    auto response = daemon_->Get(std::string("/sockets?") + query, &error);
    ASSERT_TRUE(response) << error;
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_NE(response->body.find(word), std::string::npos) << response->body;
  }

  // ESTABLISHED on the port, read live: both ends of every pair.
  auto json =
      GetJson("/sockets?state=established&port=" + std::to_string(kPort));
  ASSERT_TRUE(json);
  SCOPED_TRACE(json->Dump());
  EXPECT_EQ((*json)["state"].String(), "established");
  EXPECT_EQ((*json)["total"].Number(), 2 * kPairs);
  EXPECT_EQ((*json)["returned"].Number(), 2 * kPairs);
  ASSERT_EQ((*json)["sockets"].Items().size(), size_t(2 * kPairs));
  int server_rows = 0;
  for (const Json& row : (*json)["sockets"].Items()) {
    const bool inbound = row["local"].String() == Loopback(kPort);
    const Agent* holder = inbound ? server : client;
    // The pair this row belongs to, by the client's ephemeral port.
    const std::string ephemeral =
        inbound ? row["remote"].String() : row["local"].String();
    const AgentSocket* mine = nullptr;
    for (const auto& [s, c] : pairs) {
      if (ephemeral == Loopback(c.local_port)) mine = inbound ? &s : &c;
    }
    ASSERT_NE(mine, nullptr) << row.Dump();
    server_rows += inbound;
    ExpectSocketRowKeys(row);
    EXPECT_EQ(row["pid"].Number(), holder->pid());
    EXPECT_EQ(row["process"].String(), holder->name());
    EXPECT_EQ(row["unit"].String(), ExpectedUnit(holder->pid()));
    EXPECT_EQ(row["fd"].Number(), mine->fd);
    EXPECT_EQ(row["state"].String(), "established");
    EXPECT_EQ(row["remote"].String(),
              inbound ? Loopback(mine->remote_port) : Loopback(kPort));
    EXPECT_TRUE(row["age_seconds"].IsNull());
    EXPECT_TRUE(row["peer"].IsNull());
    EXPECT_EQ(row["recv_queue"].Number(), 0);
    EXPECT_EQ(row["send_queue"].Number(), 0);
  }
  EXPECT_EQ(server_rows, kPairs);

  // Filters and limits of a live query.
  const std::pair<std::string, std::pair<int, int>> queries[] = {
      {"state=established&port=7501&limit=4", {6, 4}},
      {"state=established&process=swt_lcli", {3, 3}},
      {"state=established&process=swt_lsrv&port=7501", {3, 3}},
      {"state=established&port=7502", {0, 0}},
      {"state=listen&port=7501", {1, 1}},
      {"state=time_wait", {0, 0}},
  };
  for (const auto& [query, counts] : queries) {
    SCOPED_TRACE(query);
    auto got = GetJson("/sockets?" + query);
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["total"].Number(), counts.first) << got->Dump();
    EXPECT_EQ((*got)["returned"].Number(), counts.second);
    EXPECT_EQ((*got)["sockets"].Items().size(), size_t(counts.second));
  }
  auto listen = GetJson("/sockets?state=listen&port=7501");
  ASSERT_TRUE(listen);
  ASSERT_EQ((*listen)["sockets"].Items().size(), 1u);
  const Json& row = (*listen)["sockets"].Items()[0];
  EXPECT_EQ(row["process"].String(), "swt_lsrv");
  EXPECT_EQ(row["fd"].Number(), listener);
  EXPECT_EQ(row["local"].String(), Loopback(kPort));
}

}  // namespace
}  // namespace sockwatch::it
