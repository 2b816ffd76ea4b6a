#include "daemon/http_server.h"

#include <CivetServer.h>
#include <spdlog/spdlog.h>

#include <cstring>

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

void Send(mg_connection* conn, const HttpResponse& r, bool head) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n"
            "Content-Type: %s\r\n"
            "Content-Length: %zu\r\n"
            "Cache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n",
            r.code, Reason(r.code), r.content_type.c_str(), r.body.size());
  if (r.code == 405) mg_printf(conn, "Allow: GET, HEAD\r\n");
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

// Civetweb's catch-all handler: everything goes through HttpServer::Serve.
class Dispatch : public CivetHandler {
 public:
  bool handleAll(const char*, CivetServer* server, mg_connection* conn) {
    static_cast<HttpServer*>(const_cast<void*>(server->getUserContext()))
        ->Serve(conn);
    return true;
  }
  bool handleGet(CivetServer* s, mg_connection* c) override {
    return handleAll("GET", s, c);
  }
  bool handleHead(CivetServer* s, mg_connection* c) override {
    return handleAll("HEAD", s, c);
  }
  bool handlePost(CivetServer* s, mg_connection* c) override {
    return handleAll("POST", s, c);
  }
  bool handlePut(CivetServer* s, mg_connection* c) override {
    return handleAll("PUT", s, c);
  }
  bool handleDelete(CivetServer* s, mg_connection* c) override {
    return handleAll("DELETE", s, c);
  }
  bool handleOptions(CivetServer* s, mg_connection* c) override {
    return handleAll("OPTIONS", s, c);
  }
  bool handlePatch(CivetServer* s, mg_connection* c) override {
    return handleAll("PATCH", s, c);
  }
};

Dispatch dispatch;

int OnHttpError(mg_connection* conn, int status, const char*) {
  if (HttpServer* server = ServerOf(conn)) server->CountError(status);
  return 1;  // let civetweb write its own error page
}

}  // namespace

HttpServer::HttpServer(Metrics* metrics) : metrics_(metrics) {}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

void HttpServer::Route(const std::string& path, const std::string& name,
                       Handler handler) {
  routes_[path] = Entry{name, std::move(handler)};
}

Status HttpServer::Listen(const ListenAddress& address) {
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
  server_->addHandler("/", dispatch);
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

  auto it = routes_.find(request.path);
  HttpResponse response;
  std::string name;
  if (it == routes_.end()) {
    name = "notfound";
    response = {404, "text/plain; charset=utf-8", "404 page not found\n"};
  } else if (request.method != "GET" && !head) {
    name = it->second.name;
    response = {405, "text/plain; charset=utf-8", "method not allowed\n"};
  } else {
    name = it->second.name;
    response = it->second.handler(request);
  }
  metrics_->CountHttp(name, response.code);
  Send(conn, response, head);
}

}  // namespace sockwatch
