// HttpServer: the daemon's HTTP(S) endpoints on libmicrohttpd.
//
// Routes are exact paths registered before Listen(); each handler gets the
// method, path and query string and returns a whole response. Unknown paths
// get 404, wrong methods 405; requests libmicrohttpd itself rejects as
// malformed are counted too (handler "error"). Every response is counted in
// sockwatch_http_requests_total{handler,code}. Handlers run on a pool of 4
// threads and must be thread-safe; a request body is read and ignored.
//
// With a WebConfig, basic auth guards every endpoint (401) and TLS is served
// instead of plain HTTP; a client certificate the policy refuses gets 403
// (handler "forbidden"). Connections idle for 10 s are closed.
#ifndef SOCKWATCH_DAEMON_HTTP_SERVER_H_
#define SOCKWATCH_DAEMON_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "config/web_config.h"
#include "daemon/http_auth.h"
#include "daemon/metrics.h"
#include "daemon/status.h"

struct MHD_Daemon;

namespace sockwatch {

struct TlsFiles;

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
};

struct HttpResponse {
  int code = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(Metrics* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for GET and HEAD on `path`, counted as `name`.
  void Route(const std::string& path, const std::string& name, Handler handler);
  // Registers `handler` for POST and PUT on `path` (no GET).
  void RoutePost(const std::string& path, const std::string& name,
                 Handler handler);

  // Binds and starts serving. Error status when the address cannot be used
  // or a TLS file cannot be read or is refused by GnuTLS. `web` adds TLS and
  // basic auth to every endpoint. An IPv6 address binds IPv6 only; an empty
  // host means every IPv4 address.
  Status Listen(const ListenAddress& address, const WebConfig& web = {});
  // Stops serving at once: closes the listener and every connection, waits
  // for handlers in progress. Idempotent.
  void Close();

  // The port actually bound (useful with port 0), or 0 before Listen().
  int BoundPort() const;

 private:
  struct Request;
  struct Connection;
  struct Glue;  // libmicrohttpd's C callbacks
  friend struct Glue;

  struct Entry {
    std::string name;
    Handler handler;
    bool post = false;  // a POST/PUT route instead of GET/HEAD
  };

  Metrics* metrics_;
  std::unique_ptr<BasicAuth> auth_;
  std::unique_ptr<TlsFiles> tls_;  // null for plain HTTP
  std::map<std::string, Entry> routes_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_HTTP_SERVER_H_
