// TLS end to end: the real sockwatch with a --web.config.file that holds a
// tls_server_config (certificates made by openssl, named relative to the
// web config file) and basic auth. curl scrapes /metrics over https and
// promtool lints what it got; plain HTTP and a wrong password are refused;
// a required client certificate is enforced; and a key that does not match
// its certificate, or a certificate that cannot be read, stops the daemon
// at startup with the reason.
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "gtest/gtest.h"
#include "mix_fixture.h"

namespace sockwatch::it::service_tls_test {
namespace {

// bcrypt of "s3cret" at cost 10.
constexpr char kHash[] =
    "$2b$10$8J/DTccsJijOjycv6I4hMeJsEa6OWFef9QHjfLdOxSmWyYJwpMvEq";

bool OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

std::string WebConfig(const std::string& tls_extra = "") {
  return "tls_server_config:\n"
         "  cert_file: server.crt\n"
         "  key_file: server.key\n" +
         tls_extra + "basic_auth_users:\n  alice: '" + kHash + "'\n";
}

struct Curl {
  int status = 0;  // the HTTP status, 0 when there was no response
  std::string body;
  CommandResult run;
};

class ServiceTlsTest : public NetnsTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(NetnsTest::SetUp());
    if (IsSkipped()) return;
    for (const char* tool : {"openssl", "curl"}) {
      if (!OnPath(tool)) {
        GTEST_SKIP() << "needs the " << tool
                     << " command (openssl makes the test certificates, "
                        "curl is the https client)";
      }
    }
    ASSERT_FALSE(dir_.path().empty());
    const CommandResult made = RunCommand(
        {"sh", SOCKWATCH_MAKE_CERTS, dir_.path()}, milliseconds(30000));
    ASSERT_TRUE(made.status.Ok()) << made.status.ToString() << made.err;
  }

  // Starts the daemon with `web_yaml` as its web config, on a free port.
  void Start(const std::string& web_yaml) {
    const std::string web = dir_.Write("web.yml", web_yaml);
    ASSERT_FALSE(web.empty());
    DaemonOptions options;
    options.config_yaml = FastConfig();
    options.port = FreePort();
    ASSERT_NE(options.port, 0);
    options.extra_args = {"--web.config.file=" + web};
    std::string error;
    daemon_ = Daemon::Start(netns_.get(), options, &error);
    ASSERT_NE(daemon_, nullptr) << error;
  }

  std::string Url(const std::string& path,
                  const std::string& scheme = "https") const {
    return scheme + "://127.0.0.1:" + std::to_string(daemon_->port()) + path;
  }

  // curl with the test CA and `args`; the status from its -w output.
  Curl Fetch(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"curl",       "-sS",
                                     "--max-time", "5",
                                     "--cacert",   dir_.File("ca.crt"),
                                     "-w",         "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    Curl out;
    out.run = RunCommand(argv, milliseconds(10000));
    const size_t last = out.run.out.rfind('\n');
    if (last != std::string::npos) {
      out.body = out.run.out.substr(0, last);
      out.status = std::atoi(out.run.out.c_str() + last + 1);
    }
    return out;
  }

  // Waits for /-/ready over https with the right password.
  void WaitReady(const std::vector<std::string>& client = {}) {
    std::string last;
    const bool ready = WaitFor(milliseconds(15000), milliseconds(100), [&] {
      std::vector<std::string> args = client;
      args.insert(args.end(), {"-u", "alice:s3cret", Url("/-/ready")});
      Curl c = Fetch(args);
      last = std::to_string(c.status) + " " + c.run.err;
      return c.status == 200 || !daemon_->process().Running();
    });
    ASSERT_TRUE(ready && daemon_->process().Running())
        << "not ready: " << last << "\n"
        << daemon_->process().Stderr();
  }

  // Waits for the daemon to exit by itself; its exit status.
  ExitStatus WaitExit() {
    std::optional<ExitStatus> exit =
        daemon_->process().Wait(milliseconds(10000));
    return exit ? *exit : daemon_->process().Stop();
  }

  TempDir dir_;
};

TEST_F(ServiceTlsTest, ScrapeOverHttpsWithBasicAuthPassesPromtool) {
  ASSERT_NO_FATAL_FAILURE(Start(WebConfig()));
  ASSERT_NO_FATAL_FAILURE(WaitReady());
  EXPECT_NE(daemon_->process().Stderr().find(", TLS, basic auth)"),
            std::string::npos)
      << daemon_->process().Stderr();

  Curl scrape = Fetch({"-u", "alice:s3cret", Url("/metrics")});
  ASSERT_EQ(scrape.status, 200) << scrape.run.err;
  EXPECT_NE(scrape.body.find("sockwatch_build_info{"), std::string::npos);
  const std::string file = dir_.Write("scrape.txt", scrape.body + "\n");
  ASSERT_FALSE(file.empty());
  const CommandResult check =
      RunCommand({"promtool", "check", "metrics"}, milliseconds(30000), file);
  ASSERT_EQ(check.spawn_error, "");
  EXPECT_TRUE(check.status.Ok()) << check.status.ToString() << check.err;
  EXPECT_EQ(check.out, "");
  EXPECT_EQ(check.err, "");

  EXPECT_EQ(Fetch({"-u", "alice:wrong", Url("/metrics")}).status, 401);
  EXPECT_EQ(Fetch({Url("/metrics")}).status, 401);
  Curl plain = Fetch({"-u", "alice:s3cret", Url("/metrics", "http")});
  EXPECT_EQ(plain.status, 0) << plain.run.out;
  EXPECT_FALSE(plain.run.status.Ok());

  // Every answer above is counted, the refused ones included.
  Curl again = Fetch({"-u", "alice:s3cret", Url("/metrics")});
  ASSERT_EQ(again.status, 200) << again.run.err;
  EXPECT_NE(again.body.find("sockwatch_http_requests_total{code=\"401\","
                            "handler=\"unauthorized\"} 2"),
            std::string::npos)
      << again.body;
  EXPECT_NE(again.body.find("sockwatch_http_requests_total{code=\"200\","
                            "handler=\"metrics\"} 1"),
            std::string::npos);
}

TEST_F(ServiceTlsTest, RequiredClientCertificateIsEnforced) {
  ASSERT_NO_FATAL_FAILURE(Start(WebConfig("  client_ca_file: ca.crt\n")));
  const std::vector<std::string> client = {"--cert", dir_.File("client.crt"),
                                           "--key", dir_.File("client.key")};
  ASSERT_NO_FATAL_FAILURE(WaitReady(client));
  Curl none = Fetch({"-u", "alice:s3cret", Url("/metrics")});
  EXPECT_EQ(none.status, 403) << none.run.err;
  Curl other =
      Fetch({"--cert", dir_.File("other.crt"), "--key", dir_.File("other.key"),
             "-u", "alice:s3cret", Url("/metrics")});
  EXPECT_EQ(other.status, 403) << other.run.err;
  std::vector<std::string> good = client;
  good.insert(good.end(), {"-u", "alice:s3cret", Url("/metrics")});
  EXPECT_EQ(Fetch(good).status, 200);
}

TEST_F(ServiceTlsTest, UnusableKeyOrCertificateStopsStartup) {
  ASSERT_NO_FATAL_FAILURE(
      Start("tls_server_config:\n"
            "  cert_file: server.crt\n"
            "  key_file: client.key\n"));
  ExitStatus exit = WaitExit();
  EXPECT_TRUE(exit.exited && exit.code == 1) << exit.ToString();
  EXPECT_NE(daemon_->process().Stderr().find("refused by GnuTLS"),
            std::string::npos)
      << daemon_->process().Stderr();

  ASSERT_NO_FATAL_FAILURE(
      Start("tls_server_config:\n"
            "  cert_file: missing.crt\n"
            "  key_file: server.key\n"));
  exit = WaitExit();
  EXPECT_TRUE(exit.exited && exit.code == 1) << exit.ToString();
  EXPECT_NE(daemon_->process().Stderr().find(
                "tls_server_config.cert_file: cannot read " +
                dir_.File("missing.crt") + ": No such file or directory"),
            std::string::npos)
      << daemon_->process().Stderr();
}

}  // namespace
}  // namespace sockwatch::it::service_tls_test
