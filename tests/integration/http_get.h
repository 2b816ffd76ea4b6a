// HttpGet: one HTTP/1.1 GET over a plain TCP socket, for scraping the daemon
// and querying Prometheus without curl.
//
// Sends `Connection: close`, reads the whole response (Content-Length,
// chunked, or until EOF) within the timeout, then closes with an RST
// (SO_LINGER 0) so that the connection leaves no TIME_WAIT or FIN_WAIT2
// behind on either side: the socket table the daemon samples keeps only
// what the test built. Stateless; thread-safe.
#ifndef SOCKWATCH_TESTS_INTEGRATION_HTTP_GET_H_
#define SOCKWATCH_TESTS_INTEGRATION_HTTP_GET_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "wait.h"

namespace sockwatch::it {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// GET http://host:port/target. `host` is a numeric IPv4 or IPv6 address.
// nullopt and *error when the connection or the response fails (refused,
// timeout, malformed).
std::optional<HttpResponse> HttpGet(const std::string& host, uint16_t port,
                                    const std::string& target,
                                    milliseconds timeout, std::string* error);

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& text);

}  // namespace sockwatch::it

#endif  // SOCKWATCH_TESTS_INTEGRATION_HTTP_GET_H_
