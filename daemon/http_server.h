// HttpServer: the daemon's HTTP endpoints on civetweb.
//
// Routes are exact paths registered before Listen(); each handler gets the
// method, path and query string and returns a whole response. Unknown paths
// get 404, wrong methods 405; requests civetweb itself rejects as malformed
// are counted too. Every response is counted in
// sockwatch_http_requests_total{handler,code}. Handlers run on civetweb's
// worker threads and must be thread-safe.
#ifndef SOCKWATCH_DAEMON_HTTP_SERVER_H_
#define SOCKWATCH_DAEMON_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/web_config.h"
#include "daemon/http_auth.h"
#include "daemon/metrics.h"
#include "daemon/status.h"

class CivetServer;
struct mg_connection;

namespace sockwatch {

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

  // Binds and starts serving. Error status when the address cannot be used.
  // `web` adds basic auth to every endpoint.
  Status Listen(const ListenAddress& address, const WebConfig& web = {});
  // Stops serving; waits for requests in progress. Idempotent.
  void Close();

  // The port actually bound (useful with port 0), or 0 before Listen().
  int BoundPort() const;

  // Called by civetweb; public only for its C callbacks.
  void Serve(mg_connection* conn);
  void CountError(int code);

 private:
  struct Entry {
    std::string name;
    Handler handler;
    bool post = false;  // a POST/PUT route instead of GET/HEAD
  };

  // Connects to the listening socket once, to wake civetweb's accept loop.
  void WakeListener() const;

  Metrics* metrics_;
  ListenAddress address_;
  std::unique_ptr<BasicAuth> auth_;
  std::map<std::string, Entry> routes_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace sockwatch

#endif  // SOCKWATCH_DAEMON_HTTP_SERVER_H_
