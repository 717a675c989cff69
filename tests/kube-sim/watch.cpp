// Watches: a chunked stream of {"type":..., "object":...} lines. Without a
// resourceVersion (or "0") the stream starts with an ADDED event for every
// matching object; with one, it replays the events after it, or sends one
// ERROR event with a 410 Status when they are no longer kept. BOOKMARK
// events come every second of quiet when allowWatchBookmarks=true. Under
// an injected "watch-break" fault the stream ends abruptly after 1-3
// events: the connection closes without the terminating zero-size chunk.
// Simplified: an object that stops matching a label selector is not sent as
// DELETED.
#include <chrono>
#include <deque>

#include "tests/kube-sim/handlers.h"
#include "tests/kube-sim/server.h"
#include "tests/kube-sim/tables.h"

namespace kubesim {

namespace {

// What kube-apiserver sends for a watch is plain application/json; the
// parameter keeps cpp-httplib from gzipping the stream for clients that
// accept gzip (kubectl does): its compressor holds events back until the
// stream ends. Clients decode the same way either way.
constexpr const char* k_watch_content_type = "application/json;stream=watch";

struct WatchState {
  std::deque<std::string> lines;
  std::uint64_t rv = 0;
  bool bookmarks = false;
  bool done = false; // end after the queued lines
  int break_after = 0; // events before the stream breaks off; 0 = never
  int sent = 0;
  std::chrono::steady_clock::time_point deadline;
};

std::string line(const std::string& type, const Json& obj) {
  return Json{{"type", type}, {"object", obj}}.dump() + "\n";
}

// What a watch event carries: the object, or a one-row Table of it when
// the client asked for Tables (kubectl get -w).
struct EventObject {
  const Store& store;
  ResourceType type;
  bool table = false;
  std::string include_object;
  Json operator()(const Json& obj) const { return table ? to_table(store, type, {obj}, include_object, Json::object()) : obj; }
};

} // namespace

void serve_watch(Store& store, Call& c, const Query& query) {
  auto st = std::make_shared<WatchState>();
  const std::string rv = c.req.has_param("resourceVersion") ? c.req.get_param_value("resourceVersion") : "";
  const std::string timeout = c.req.has_param("timeoutSeconds") ? c.req.get_param_value("timeoutSeconds") : "";
  st->bookmarks = flag(c.req, "allowWatchBookmarks");
  st->break_after = watch_break_after(c.req);
  const long seconds = timeout.empty() || timeout.find_first_not_of("0123456789") != std::string::npos ? 1800 : std::stol(timeout);
  st->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  const EventObject object{store, c.type, wants_table(c.req),
                           c.req.has_param("includeObject") ? c.req.get_param_value("includeObject") : ""};
  if (rv.empty() || rv == "0") {
    for (const auto& obj : store.snapshot(c.type, query, &st->rv)) st->lines.push_back(line("ADDED", object(obj)));
  } else {
    if (rv.find_first_not_of("0123456789") != std::string::npos)
      throw ApiError(400, "BadRequest", "resourceVersion: Invalid value: \"" + rv + "\": must be an integer");
    st->rv = std::stoull(rv);
  }
  const ResourceType type = c.type;
  c.res.status = 200;
  c.res.set_chunked_content_provider(k_watch_content_type, [&store, st, type, query, object](std::size_t, httplib::DataSink& sink) {
    if (st->lines.empty() && !st->done) {
      const auto now = std::chrono::steady_clock::now();
      if (store.stopping() || now >= st->deadline) {
        st->done = true;
      } else {
        const auto wait = std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(1), st->deadline - now);
        try {
          std::uint64_t seen = st->rv;
          const auto events = store.events_after(type, st->rv, std::chrono::duration_cast<std::chrono::milliseconds>(wait), &seen);
          for (const auto& e : events)
            if (matches(e.object, query)) st->lines.push_back(line(e.type, object(e.object)));
          if (st->lines.empty() && seen == st->rv && st->bookmarks)
            st->lines.push_back(line("BOOKMARK", {{"kind", type.kind}, {"apiVersion", type.api_version()},
                                                  {"metadata", {{"resourceVersion", std::to_string(seen)}}}}));
          st->rv = seen;
        } catch (const ApiError& e) {
          st->lines.push_back(line("ERROR", status_json(e.code, e.reason, e.what())));
          st->done = true;
        }
      }
    }
    while (!st->lines.empty()) {
      const std::string& l = st->lines.front();
      if (!sink.write(l.data(), l.size())) return false;
      st->lines.pop_front();
      if (st->break_after > 0 && ++st->sent >= st->break_after) return false; // no zero chunk follows
    }
    if (st->done) sink.done();
    return true;
  });
}

} // namespace kubesim
