#include "daemon/http_server.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

namespace sockwatch {
namespace {

const char* Reason(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

void Send(mg_connection* conn, const HttpResponse& r, bool head,
          const char* extra_header) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n"
            "Content-Type: %s\r\n"
            "Content-Length: %zu\r\n"
            "Cache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n",
            r.code, Reason(r.code), r.content_type.c_str(), r.body.size());
  if (extra_header != nullptr) mg_printf(conn, "%s\r\n", extra_header);
  mg_printf(conn, "\r\n");
  if (!head) mg_write(conn, r.body.data(), r.body.size());
}

HttpServer* ServerOf(const mg_connection* conn) {
  auto* civet =
      static_cast<CivetServer*>(mg_get_user_data(mg_get_context(conn)));
  return civet == nullptr ? nullptr
                          : static_cast<HttpServer*>(
                                const_cast<void*>(civet->getUserContext()));
}

// Every request goes through HttpServer::Serve. A begin_request callback
// (rather than a handler added after the server has started) leaves no
// moment where a request finds no route.
int OnBeginRequest(mg_connection* conn) {
  HttpServer* server = ServerOf(conn);
  if (server == nullptr) return 0;
  server->Serve(conn);
  return 1;
}

int OnHttpError(mg_connection* conn, int status, const char*) {
  if (HttpServer* server = ServerOf(conn)) server->CountError(status);
  return 1;  // let civetweb write its own error page
}

}  // namespace

HttpServer::HttpServer(Metrics* metrics) : metrics_(metrics) {}

HttpServer::~HttpServer() { Close(); }

void HttpServer::Close() {
  if (!server_) return;
  // civetweb's accept loop polls with a 2 s timeout before it sees the stop
  // request; a connection to the listening socket wakes it at once.
  std::atomic<bool> closed{false};
  std::thread closer([this, &closed] {
    server_->close();
    closed = true;
  });
  for (int i = 0; i < 100 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    WakeListener();
  }
  closer.join();
  server_.reset();
  spdlog::debug("http server stopped");
}

void HttpServer::WakeListener() const {
  int port = BoundPort();
  if (port == 0) return;
  bool v6 = address_.ipv6;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_storage addr{};
  socklen_t len;
  if (v6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    if (address_.host.empty() ||
        inet_pton(AF_INET6, address_.host.c_str(), &a6->sin6_addr) != 1) {
      a6->sin6_addr = in6addr_loopback;
    }
    len = sizeof(*a6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    if (address_.host.empty() || address_.host == "0.0.0.0" ||
        inet_pton(AF_INET, address_.host.c_str(), &a4->sin_addr) != 1) {
      a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    len = sizeof(*a4);
  }
  // Non-blocking: the connection only has to reach the listen queue.
  fcntl(fd, F_SETFL, O_NONBLOCK);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  close(fd);
}

void HttpServer::Route(const std::string& path, const std::string& name,
                       Handler handler) {
  routes_[path] = Entry{name, std::move(handler), false};
}

void HttpServer::RoutePost(const std::string& path, const std::string& name,
                           Handler handler) {
  routes_[path] = Entry{name, std::move(handler), true};
}

Status HttpServer::Listen(const ListenAddress& address, const WebConfig& web) {
  address_ = address;
  if (address.ipv6 && mg_check_feature(8) == 0) {
    return Status::Error(
        "cannot listen on [" + address.host +
            "]: this civetweb (Debian's) is built without IPv6; use an IPv4 "
            "address or \":port\" for all IPv4 addresses",
        EAFNOSUPPORT);
  }
  auth_ = std::make_unique<BasicAuth>(web.basic_auth_users);
  std::string port = std::to_string(address.port);
  std::string spec = address.host.empty() ? port
                     : address.ipv6       ? "[" + address.host + "]:" + port
                                          : address.host + ":" + port;
  std::vector<std::string> options = {
      "listening_ports",       spec,    "num_threads",       "4",
      "request_timeout_ms",    "10000", "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "60000",
  };
  CivetCallbacks callbacks;  // its constructor zeroes every callback
  callbacks.begin_request = OnBeginRequest;
  callbacks.http_error = OnHttpError;
  callbacks.log_message = [](const mg_connection*, const char* message) {
    spdlog::debug("http: {}", message);
    return 1;
  };
  try {
    server_ = std::make_unique<CivetServer>(options, &callbacks, this);
  } catch (const CivetException& e) {
    return Status::Error("cannot listen on " + spec + ": " + e.what(),
                         EADDRINUSE);
  }
  return Status::Ok();
}

int HttpServer::BoundPort() const {
  if (!server_) return 0;
  std::vector<int> ports = server_->getListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void HttpServer::CountError(int code) { metrics_->CountHttp("error", code); }

void HttpServer::Serve(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "";
  request.query = info->query_string ? info->query_string : "";
  const bool head = request.method == "HEAD";

  if (auth_ && !auth_->Allowed(mg_get_header(conn, "Authorization"))) {
    metrics_->CountHttp("unauthorized", 401);
    Send(conn, {401, "text/plain; charset=utf-8", "Unauthorized\n"}, head,
         "WWW-Authenticate: Basic realm=\"sockwatch\"");
    return;
  }

  auto it = routes_.find(request.path);
  HttpResponse response;
  std::string name;
  const char* allow = nullptr;  // the Allow header of a 405
  if (it == routes_.end()) {
    name = "notfound";
    response = {404, "text/plain; charset=utf-8", "404 page not found\n"};
  } else if (it->second.post
                 ? request.method != "POST" && request.method != "PUT"
                 : request.method != "GET" && !head) {
    name = it->second.name;
    response = {405, "text/plain; charset=utf-8", "method not allowed\n"};
    allow = it->second.post ? "Allow: POST, PUT" : "Allow: GET, HEAD";
  } else {
    name = it->second.name;
    response = it->second.handler(request);
  }
  metrics_->CountHttp(name, response.code);
  Send(conn, response, head, allow);
}

}  // namespace sockwatch
