#include "tls_fixture.h"

#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace sockwatch::testing {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

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

std::string MakeTestCerts(const std::string& dir) {
  if (!OnPath("openssl")) return "no openssl command on $PATH";
  // Both paths are ours (source tree, mkdtemp): no quote in them.
  std::string command =
      std::string("sh '") + SOCKWATCH_MAKE_CERTS + "' '" + dir + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot run " + command;
  std::string output;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return command + " failed: " + output;
  }
  return "";
}

FetchResult Fetch(const std::string& url, const FetchOptions& options) {
  FetchResult result;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    result.error = "curl_easy_init failed";
    return result;
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  if (!options.cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options.cert_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options.key_file.c_str());
  }
  if (!options.user_password.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERPWD, options.user_password.c_str());
  }
  long version = CURL_SSLVERSION_TLSv1_2;
  if (options.min_tls13) version = CURL_SSLVERSION_TLSv1_3;
  if (options.max_tls12) version |= CURL_SSLVERSION_MAX_TLSv1_2;
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, version);
  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  } else {
    result.error = std::string(curl_easy_strerror(code)) + ": " + error;
  }
  curl_easy_cleanup(curl);
  return result;
}

}  // namespace sockwatch::testing
