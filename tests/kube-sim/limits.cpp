// kube-sim's request limits (server.h, Limits).
#include <httplib.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>

#include "tests/kube-sim/server.h"
#include "tests/kube-sim/store.h"

namespace kubesim {

namespace {

std::uint64_t content_length(const httplib::Request& req) {
  return req.has_header("Content-Length") ? std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) : 0;
}

// httplib keeps a connection open whatever Connection header a handler sets,
// and reads what is left of an unread body as the next request; a content
// provider that reports failure once it has written the whole response is
// the one way to have the connection closed.
void close_after(httplib::Response& res) {
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  const std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");
  res.set_header("Connection", "close");
  res.set_content_provider(body->size(), type.c_str(), [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
    sink.write(body->data() + offset, length);
    return false;
  });
}

ApiError too_large(const Limits& limits) {
  return ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is " + std::to_string(limits.max_body_bytes));
}

void refuse(httplib::Response& res, const ApiError& e) {
  send_error(res, e);
  close_after(res);
}

} // namespace

void route_with_limits(httplib::Server& http, const Limits& limits,
                       const std::function<void(const httplib::Request&, httplib::Response&)>& handle) {
  // kube-sim reads bodies itself (below): httplib's own limit reads a too-large body to drop it.
  http.set_payload_max_length(std::numeric_limits<std::size_t>::max());
  http.set_pre_routing_handler([limits](const httplib::Request& req, httplib::Response& res) {
    std::size_t total = 0;
    for (const auto& [name, value] : req.headers) total += name.size() + value.size() + 4;
    if (total <= limits.max_header_bytes) return httplib::Server::HandlerResponse::Unhandled;
    refuse(res, ApiError(431, "RequestHeaderFieldsTooLarge", "request headers too large: limit is " +
                                                                 std::to_string(limits.max_header_bytes)));
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_expect_100_continue_handler([limits](const httplib::Request& req, httplib::Response& res) {
    if (content_length(req) <= limits.max_body_bytes) return 100;
    refuse(res, too_large(limits));
    return 413;
  });
  auto no_body = [handle](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  // A body over the limit is read and dropped up to 64 MiB more, so that a
  // client still sending it (kubectl with a 4 MiB object) reads the answer,
  // not a reset; one announced longer than that is not read at all.
  auto with_body = [handle, limits](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    constexpr std::uint64_t k_drain = 64u << 20;
    if (content_length(req) > limits.max_body_bytes + k_drain) return refuse(res, too_large(limits));
    httplib::Request whole = req;
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
      std::uint64_t seen = 0;
      const bool read_all = read([&](const char* data, std::size_t n) {
        seen += n;
        if (seen <= limits.max_body_bytes) whole.body.append(data, n);
        else std::string().swap(whole.body);
        return seen <= limits.max_body_bytes + k_drain;
      });
      if (seen > limits.max_body_bytes) return refuse(res, too_large(limits));
      if (!read_all) return refuse(res, ApiError(400, "BadRequest", "the request body was cut short"));
    }
    handle(whole, res);
  };
  http.Get(".*", no_body);
  http.Delete(".*", httplib::Server::HandlerWithContentReader(with_body)); // DeleteOptions may come as a body
  http.Post(".*", httplib::Server::HandlerWithContentReader(with_body));
  http.Put(".*", httplib::Server::HandlerWithContentReader(with_body));
  http.Patch(".*", httplib::Server::HandlerWithContentReader(with_body));
}

} // namespace kubesim
