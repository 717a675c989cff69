#include "libkf/http/http.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include "libkf/image/stream.h"
#include "libkf/lib/curl.h"
#include "libkf/util/strings.h"
#include "libkf/version.h"

namespace kf::http {

namespace {

std::once_flag g_curl_init;

// Certificate problems: the same request fails the same way every time.
bool is_permanent(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
         rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_CRL_BADFILE;
}

// One request's state, reached from curl's callbacks, and the strings and
// lists its handle points at while it runs.
struct Transfer {
  CURL* curl = nullptr;
  Response* res = nullptr;
  const Request* req = nullptr;
  // upload
  int in_fd = -1;
  std::uint64_t remaining = 0;
  std::size_t body_pos = 0;
  // download to a file
  std::unique_ptr<image::FileSink> file; // opened at the first 2xx byte
  std::string file_error;
  // a stream
  const std::function<bool(std::string_view)>* on_chunk = nullptr;
  const std::function<bool()>* should_stop = nullptr;
  std::exception_ptr error; // thrown by a callback; rethrown after curl returns
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  char error_text[CURL_ERROR_SIZE] = {0};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() {
    if (in_fd >= 0) ::close(in_fd);
    lib::curl().slist_free_all(headers);
    lib::curl().slist_free_all(connect_to);
  }
  long status() const {
    long code = 0;
    lib::curl().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }
  std::string failure(CURLcode rc) const { return error_text[0] ? error_text : lib::curl().easy_strerror(rc); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  const long code = t->status();
  const bool ok = code >= 200 && code < 300;
  if (ok && t->on_chunk) {
    try {
      if ((*t->on_chunk)(std::string_view(data, len))) return len;
    } catch (...) {
      t->error = std::current_exception();
    }
    t->res->stopped = true;
    return 0; // curl ends the transfer with CURLE_WRITE_ERROR
  }
  if (ok && !t->req->save_to.empty()) {
    try {
      if (!t->file) t->file = std::make_unique<image::FileSink>(t->req->save_to);
      t->file->write(data, len);
    } catch (const Error& e) {
      t->file_error = e.what();
      return 0; // abort the transfer
    }
    return len;
  }
  t->res->body.append(data, len);
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* res = static_cast<Transfer*>(user)->res;
  const std::string line(data, size * n);
  if (str::starts_with(line, "HTTP/")) {
    res->headers.clear(); // a new response (after a redirect or 100 Continue)
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    res->headers[key].push_back(str::trim(line.substr(colon + 1)));
  }
  return size * n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t want = std::min<std::uint64_t>(size * n, t->remaining);
  if (want == 0) return 0;
  if (t->in_fd >= 0) {
    ssize_t got;
    do got = ::read(t->in_fd, buffer, want);
    while (got < 0 && errno == EINTR);
    if (got <= 0) return CURL_READFUNC_ABORT;
    t->remaining -= static_cast<std::uint64_t>(got);
    return static_cast<std::size_t>(got);
  }
  std::memcpy(buffer, t->req->body.data() + t->body_pos, want);
  t->body_pos += want;
  t->remaining -= want;
  return want;
}

int on_progress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (t->req->on_progress) t->req->on_progress(static_cast<std::uint64_t>(t->req->save_to.empty() ? ulnow : dlnow));
  if (!t->should_stop || !*t->should_stop) return 0;
  try {
    if (!(*t->should_stop)()) return 0;
  } catch (...) {
    t->error = std::current_exception();
  }
  t->res->stopped = true;
  return 1; // CURLE_ABORTED_BY_CALLBACK
}

void blob(CURL* h, CURLoption option, const std::string& data) {
  curl_blob b{const_cast<char*>(data.data()), data.size(), CURL_BLOB_COPY};
  lib::curl().easy_setopt(h, option, &b);
}

void set_connection(CURL* h, const ClientOptions& o, Transfer& t) {
  const auto& c = lib::curl();
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  c.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  c.easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
  c.easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 15L);
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o.connect_timeout.count()));
  if (o.http2) c.easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (!o.proxy.empty()) c.easy_setopt(h, CURLOPT_PROXY, o.proxy.c_str());
  if (!o.connect_to.empty()) {
    t.connect_to = c.slist_append(nullptr, o.connect_to.c_str());
    c.easy_setopt(h, CURLOPT_CONNECT_TO, t.connect_to);
  }
  if (o.tls.insecure) {
    c.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    c.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!o.tls.ca_file.empty()) c.easy_setopt(h, CURLOPT_CAINFO, o.tls.ca_file.c_str());
  if (!o.tls.ca_data.empty()) blob(h, CURLOPT_CAINFO_BLOB, o.tls.ca_data);
  if (!o.tls.cert_file.empty()) c.easy_setopt(h, CURLOPT_SSLCERT, o.tls.cert_file.c_str());
  if (!o.tls.key_file.empty()) c.easy_setopt(h, CURLOPT_SSLKEY, o.tls.key_file.c_str());
  const std::string& cert = t.req->cert_data.empty() ? o.tls.cert_data : t.req->cert_data;
  const std::string& key = t.req->key_data.empty() ? o.tls.key_data : t.req->key_data;
  if (!cert.empty()) blob(h, CURLOPT_SSLCERT_BLOB, cert);
  if (!key.empty()) blob(h, CURLOPT_SSLKEY_BLOB, key);
}

// The method and its body: uploads from memory or a file range.
void set_method(CURL* h, const Request& req, Transfer& t) {
  const auto& c = lib::curl();
  const bool has_body = !req.body_file.empty() || !req.body.empty();
  if (req.method == "HEAD") {
    c.easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "GET") {
    c.easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (has_body) {
    c.easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (req.method != "PUT") c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body_file.empty()) {
      t.in_fd = ::open(req.body_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (t.in_fd < 0 || ::lseek(t.in_fd, static_cast<off_t>(req.body_offset), SEEK_SET) < 0)
        throw Error("cannot read " + req.body_file.string() + ": " + std::strerror(errno));
      t.remaining = req.body_length;
    } else {
      t.remaining = req.body.size();
    }
    c.easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    c.easy_setopt(h, CURLOPT_READDATA, &t);
    c.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.remaining));
  } else {
    c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    c.easy_setopt(h, CURLOPT_POSTFIELDS, "");
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }
}

void prepare(CURL* h, const ClientOptions& o, const Request& req, Transfer& t) {
  const auto& c = lib::curl();
  c.easy_reset(h); // options only; the connection cache stays
  c.easy_setopt(h, CURLOPT_URL, req.url.c_str());
  set_connection(h, o, t);
  if (req.timeout.count() > 0 && !t.on_chunk) c.easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(req.timeout.count()));
  if (req.stall_timeout.count() > 0 && !t.on_chunk) {
    c.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.stall_timeout.count()));
  }
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &t);
  c.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (req.follow_redirects) {
    c.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    c.easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  }
  if (!req.basic_user.empty()) {
    c.easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    c.easy_setopt(h, CURLOPT_USERNAME, req.basic_user.c_str());
    c.easy_setopt(h, CURLOPT_PASSWORD, req.basic_password.c_str());
  }
  if (req.on_progress || t.should_stop) {
    c.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    c.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    c.easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  }
  set_method(h, req, t);
  static const std::string agent = std::string("User-Agent: kf/") + k_version;
  t.headers = c.slist_append(t.headers, agent.c_str());
  t.headers = c.slist_append(t.headers, "Expect:"); // no 100-continue round trip
  for (const auto& hd : req.headers) t.headers = c.slist_append(t.headers, hd.c_str());
  c.easy_setopt(h, CURLOPT_HTTPHEADER, t.headers);
  c.easy_setopt(h, CURLOPT_ERRORBUFFER, t.error_text);
}

} // namespace

std::string Response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() || it->second.empty() ? "" : it->second.back();
}

std::string url_encode(const std::string& v) {
  static const char* k_hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

std::string without_timing(std::string detail) {
  if (const auto after = detail.find(" after "); after != std::string::npos) {
    const auto ms = detail.find(" ms", after);
    if (ms != std::string::npos && ms - after < 20) detail.erase(after, ms + 3 - after);
  }
  return detail;
}

Client::Client(ClientOptions options) : m_options(std::move(options)) {
  std::call_once(g_curl_init, [] { lib::curl().global_init(CURL_GLOBAL_DEFAULT); });
}

Client::~Client() {
  for (void* h : m_idle) lib::curl().easy_cleanup(static_cast<CURL*>(h));
}

void* Client::acquire() {
  {
    const std::lock_guard lock(m_mu);
    if (!m_idle.empty()) {
      void* h = m_idle.back();
      m_idle.pop_back();
      return h;
    }
  }
  CURL* h = lib::curl().easy_init();
  if (!h) throw Error("cannot initialise libcurl");
  return h;
}

void Client::release(void* handle) {
  lib::curl().easy_reset(static_cast<CURL*>(handle)); // no pointers into a finished request
  const std::lock_guard lock(m_mu);
  m_idle.push_back(handle);
}

Response Client::perform(const Request& req) {
  CURL* h = static_cast<CURL*>(acquire());
  Response res;
  CURLcode rc = CURLE_OK;
  std::string failure, file_error;
  {
    Transfer t;
    t.curl = h;
    t.res = &res;
    t.req = &req;
    try {
      prepare(h, m_options, req, t);
    } catch (...) {
      release(h);
      throw;
    }
    rc = lib::curl().easy_perform(h);
    res.status = t.status();
    if (rc != CURLE_OK) failure = t.failure(rc);
    file_error = t.file_error;
    lib::curl().easy_reset(h); // drop the pointers into t before it goes
    if (rc == CURLE_OK && file_error.empty() && t.file) try {
        t.file->finish();
      } catch (const Error& e) {
        file_error = e.what();
      }
  }
  if (!file_error.empty()) {
    lib::curl().easy_cleanup(h);
    throw Error(file_error);
  }
  if (rc != CURLE_OK) {
    lib::curl().easy_cleanup(h); // its connection is in an unknown state
    throw TransportError(failure, is_permanent(rc));
  }
  release(h);
  return res;
}

Response Client::perform_stream(const Request& req, const std::function<bool(std::string_view)>& on_chunk,
                                const std::function<bool()>& should_stop) {
  // A handle of its own: the stream's connection is not returned to the pool.
  const std::unique_ptr<CURL, void (*)(CURL*)> h(lib::curl().easy_init(), lib::curl().easy_cleanup);
  if (!h) throw Error("cannot initialise libcurl");
  Response res;
  Transfer t;
  t.curl = h.get();
  t.res = &res;
  t.req = &req;
  t.on_chunk = &on_chunk;
  t.should_stop = &should_stop;
  prepare(h.get(), m_options, req, t);
  const CURLcode rc = lib::curl().easy_perform(h.get());
  res.status = t.status();
  lib::curl().easy_reset(h.get());
  if (t.error) std::rethrow_exception(t.error);
  if (rc != CURLE_OK && !res.stopped) throw TransportError(t.failure(rc), is_permanent(rc));
  return res;
}

} // namespace kf::http
