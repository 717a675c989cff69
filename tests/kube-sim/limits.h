#pragma once
// kube-sim's request limits, as kube-apiserver's: a body over
// MaxRequestBodyBytes (3 MiB) gets 413 RequestEntityTooLarge, header bytes
// over Go's http.DefaultMaxHeaderBytes (1 MiB) get 431. A body over the
// limit is read and dropped up to 64 MiB more (so that kubectl, still
// sending, reads the 413), then refused; one announced longer than that is
// refused before it is read, and one announced too large at all before
// "100 Continue". The connection then closes, so no unread rest is ever
// taken for a request.

#include <cstddef>
#include <functional>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace kubesim {

struct Limits {
  std::size_t max_body_bytes = 3u << 20;
  std::size_t max_header_bytes = 1u << 20;
};

// Routes every method of `http` to `handle`, with `limits` applied first.
void route_with_limits(httplib::Server& http, const Limits& limits,
                       const std::function<void(const httplib::Request&, httplib::Response&)>& handle);

} // namespace kubesim
