#include "daemon/http_server.h"

#include <arpa/inet.h>
#include <linux/tcp.h>  // tcp_info with tcpi_data_segs_in/out
#include <microhttpd.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

#include "daemon/http_tls.h"

namespace sockwatch {

// One HTTP request, from its request line to its completion.
struct HttpServer::Request {
  std::string query;     // raw, as sent (MHD only gives it decoded)
  bool started = false;  // the access handler has seen the headers
};

// One TCP connection.
struct HttpServer::Connection {
  bool request_seen = false;  // a request line was parsed
};

// Requests libmicrohttpd refuses itself never reach the access handler, and
// most never reach the completion callback either; they are counted here:
//  - an error response it sends (400 for a malformed line or header, 414,
//    431 for one too large) is always logged, by transmit_error_response,
//    as "Error processing request (HTTP response code is N ...": Log()
//    counts it with that code;
//  - a first line it cannot split at all ("GARBAGE") closes the connection
//    without an answer and without a log: a connection that sent bytes, got
//    none back and never had a request line is counted as a 400 when it
//    closes. So is plain HTTP sent to the TLS port.
struct HttpServer::Glue {
  static HttpServer* Server(void* cls) { return static_cast<HttpServer*>(cls); }

  static void OnConnection(void* cls, MHD_Connection* conn, void** context,
                           MHD_ConnectionNotificationCode code) {
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      *context = new Connection;
      return;
    }
    auto* connection = static_cast<Connection*>(*context);
    *context = nullptr;
    if (connection != nullptr && !connection->request_seen &&
        ClosedUnanswered(conn)) {
      Server(cls)->metrics_->CountHttp("error", 400);
    }
    delete connection;
  }

  // Whether the peer of `conn` sent something and got nothing back.
  static bool ClosedUnanswered(MHD_Connection* conn) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    tcp_info tcp{};
    socklen_t len = sizeof(tcp);
    if (info == nullptr ||
        getsockopt(info->connect_fd, IPPROTO_TCP, TCP_INFO, &tcp, &len) != 0 ||
        len < offsetof(tcp_info, tcpi_data_segs_out) +
                  sizeof(tcp.tcpi_data_segs_out)) {
      return false;
    }
    // Segments, not bytes: the peer's FIN counts as a received byte.
    return tcp.tcpi_data_segs_in > 0 && tcp.tcpi_data_segs_out == 0;
  }

  // Called once the request line is read: the only place where the raw
  // query string is available.
  static void* OnUri(void*, const char* uri, MHD_Connection* conn) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info != nullptr && info->socket_context != nullptr) {
      static_cast<Connection*>(info->socket_context)->request_seen = true;
    }
    auto* request = new Request;
    if (const char* q = std::strchr(uri, '?')) request->query = q + 1;
    return request;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url,
                              const char* method, const char*, const char*,
                              size_t* upload_size, void** request_cls) {
    auto* request = static_cast<Request*>(*request_cls);
    if (request == nullptr) return MHD_NO;
    // The first call comes with the headers; the body (ignored) follows in
    // calls with data, and a last call without data answers.
    if (!request->started) {
      request->started = true;
      return MHD_YES;
    }
    if (*upload_size != 0) {
      *upload_size = 0;
      return MHD_YES;
    }
    return Serve(Server(cls), conn, request, url, method);
  }

  static void OnCompleted(void*, MHD_Connection*, void** request_cls,
                          MHD_RequestTerminationCode) {
    delete static_cast<Request*>(*request_cls);
    *request_cls = nullptr;
  }

  // Answers a request whose headers are all in.
  static MHD_Result Serve(HttpServer* server, MHD_Connection* conn,
                          Request* req, const char* url, const char* method);

  static void Log(void* cls, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof(line), format, args);
    size_t n = std::strlen(line);
    while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    unsigned int code = 0;
    if (std::sscanf(line, "Error processing request (HTTP response code is %u",
                    &code) == 1) {
      Server(cls)->metrics_->CountHttp("error", static_cast<int>(code));
    }
    spdlog::debug("http: {}", line);
  }
};

namespace {

MHD_Result Send(MHD_Connection* conn, const HttpResponse& r,
                const char* header = nullptr, const char* value = nullptr) {
  MHD_Response* response = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  MHD_add_response_header(response, "Cache-Control", "no-store");
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  if (header != nullptr) MHD_add_response_header(response, header, value);
  // HEAD: libmicrohttpd sends the headers (Content-Length included) only.
  MHD_Result ret = MHD_queue_response(conn, r.code, response);
  MHD_destroy_response(response);
  return ret;
}

// A listening TCP socket for `address`, or -1 and *status.
int BindListener(const ListenAddress& address, Status* status) {
  sockaddr_storage addr{};
  socklen_t len;
  const int family = address.ipv6 ? AF_INET6 : AF_INET;
  if (address.ipv6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(address.port);
    inet_pton(AF_INET6, address.host.c_str(), &a6->sin6_addr);
    len = sizeof(*a6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(address.port);
    a4->sin_addr.s_addr = htonl(INADDR_ANY);
    if (!address.host.empty()) {
      inet_pton(AF_INET, address.host.c_str(), &a4->sin_addr);
    }
    len = sizeof(*a4);
  }
  const std::string spec =
      (address.ipv6 ? "[" + address.host + "]" : address.host) + ":" +
      std::to_string(address.port);
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      (address.ipv6 &&
       setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    *status = Status::Error(
        "cannot listen on " + spec + ": " + std::strerror(err), err);
    return -1;
  }
  return fd;
}

}  // namespace

MHD_Result HttpServer::Glue::Serve(HttpServer* server, MHD_Connection* conn,
                                   Request* req, const char* url,
                                   const char* method) {
  HttpRequest request;
  request.method = method;
  request.path = url;
  request.query = req->query;
  const bool head = request.method == "HEAD";
  auto answer = [&](const std::string& name, const HttpResponse& response,
                    const char* header = nullptr, const char* value = nullptr) {
    server->metrics_->CountHttp(name, response.code);
    return Send(conn, response, header, value);
  };

  if (server->tls_ && server->tls_->client_auth != ClientAuth::kNoClientCert) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    std::string why = CheckClientCert(
        info == nullptr ? nullptr
                        : static_cast<gnutls_session_t>(info->tls_session),
        server->tls_->client_auth);
    if (!why.empty()) {
      return answer("forbidden", {403, "text/plain; charset=utf-8",
                                  "Forbidden: " + why + "\n"});
    }
  }
  if (server->auth_->enabled() &&
      !server->auth_->Allowed(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                          "Authorization"))) {
    return answer("unauthorized",
                  {401, "text/plain; charset=utf-8", "Unauthorized\n"},
                  "WWW-Authenticate", "Basic realm=\"sockwatch\"");
  }

  auto it = server->routes_.find(request.path);
  if (it == server->routes_.end()) {
    return answer("notfound",
                  {404, "text/plain; charset=utf-8", "404 page not found\n"});
  }
  const Entry& entry = it->second;
  if (entry.post ? request.method != "POST" && request.method != "PUT"
                 : request.method != "GET" && !head) {
    return answer(entry.name,
                  {405, "text/plain; charset=utf-8", "method not allowed\n"},
                  "Allow", entry.post ? "POST, PUT" : "GET, HEAD");
  }
  return answer(entry.name, entry.handler(request));
}

HttpServer::HttpServer(Metrics* metrics) : metrics_(metrics) {}

HttpServer::~HttpServer() { Close(); }

void HttpServer::Close() {
  if (daemon_ == nullptr) return;
  // Closes the listener and every connection, and joins the threads.
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  spdlog::debug("http server stopped");
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
  Close();
  auth_ = std::make_unique<BasicAuth>(web.basic_auth_users);
  tls_.reset();
  if (web.tls) {
    tls_ = std::make_unique<TlsFiles>();
    Status s = LoadTls(*web.tls, tls_.get());
    if (!s.ok()) return s;
  }
  Status status;
  int fd = BindListener(address, &status);
  if (fd < 0) return status;

  // Pointers to functions as the option array wants them.
  auto fn = [](auto* f) { return reinterpret_cast<intptr_t>(f); };
  std::vector<MHD_OptionItem> options = {
      // First, so that it also gets the messages about the options.
      {MHD_OPTION_EXTERNAL_LOGGER, fn(&Glue::Log), this},
      {MHD_OPTION_LISTEN_SOCKET, fd, nullptr},
      {MHD_OPTION_THREAD_POOL_SIZE, 4, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, 256, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, 10, nullptr},
      {MHD_OPTION_URI_LOG_CALLBACK, fn(&Glue::OnUri), this},
      {MHD_OPTION_NOTIFY_COMPLETED, fn(&Glue::OnCompleted), this},
      {MHD_OPTION_NOTIFY_CONNECTION, fn(&Glue::OnConnection), this},
  };
  unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (address.ipv6) flags |= MHD_USE_IPv6;
  if (tls_) {
    flags |= MHD_USE_TLS;
    options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0,
                       const_cast<char*>(tls_->cert_pem.c_str())});
    options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0,
                       const_cast<char*>(tls_->key_pem.c_str())});
    options.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0,
                       const_cast<char*>(tls_->priorities.c_str())});
    if (!tls_->trust_pem.empty()) {
      options.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0,
                         const_cast<char*>(tls_->trust_pem.c_str())});
    }
  }
  options.push_back({MHD_OPTION_END, 0, nullptr});
  daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &Glue::OnRequest, this,
                             MHD_OPTION_ARRAY, options.data(), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    close(fd);  // libmicrohttpd adopts the socket only when it starts
    return Status::Error(
        "cannot start the HTTP server on port " + std::to_string(address.port) +
            ": libmicrohttpd failed (--log.level=debug shows its reason)",
        EINVAL);
  }
  return Status::Ok();
}

int HttpServer::BoundPort() const {
  if (daemon_ == nullptr) return 0;
  const MHD_DaemonInfo* info =
      MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  return info == nullptr ? 0 : info->port;
}

}  // namespace sockwatch
