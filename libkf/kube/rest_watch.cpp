// RestClient::watch and pod_logs: long-running GETs on connections of their
// own (Transport::perform_stream), neither throttled nor counted in flight.
// watch() is client-go's reflector in one loop:
//   list (unless given a resourceVersion) -> deliver the items as ADDED
//   watch from the list's resourceVersion; every event (BOOKMARKs too) moves it on
//   the server ends the stream (timeoutSeconds)      -> reopen (backing off while streams stay silent)
//   reset / HTTP 429 or 5xx / an ERROR event of those -> reopen with backoff
//   HTTP 410 or an ERROR event with a 410 Status     -> list again, deliver the differences
// until on_event returns false or options.timeout passes.
#include <random>
#include <thread>

#include "libkf/kube/rest_impl.h"
#include "libkf/util/strings.h"

namespace kf::kube {

namespace {

using Clock = std::chrono::steady_clock;

std::string selectors(const std::string& label, const std::string& field) {
  std::string out;
  if (!label.empty()) out += "&labelSelector=" + escape(label);
  if (!field.empty()) out += "&fieldSelector=" + escape(field);
  return out;
}

// timeoutSeconds for one watch request: what is left of the caller's
// timeout, at most the configured (or client-go's random 5-10 minute) one.
long request_seconds(std::chrono::seconds configured, Clock::time_point deadline) {
  long seconds = configured.count();
  if (seconds <= 0) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    seconds = std::uniform_int_distribution<long>(300, 599)(rng);
  }
  if (deadline != Clock::time_point::max()) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - Clock::now()).count();
    seconds = std::max(1L, std::min<long>(seconds, left));
  }
  return seconds;
}

void sleep_before(std::chrono::milliseconds wait, Clock::time_point deadline) {
  const auto now = Clock::now();
  if (deadline != Clock::time_point::max() && now + wait > deadline) {
    if (deadline > now) std::this_thread::sleep_for(deadline - now);
    return;
  }
  std::this_thread::sleep_for(wait);
}

} // namespace

struct RestClient::StreamEnd {
  enum Kind { Stopped, Closed, Gone, Failed, Unauthorized } kind = Closed;
  std::string why;         // for Failed; the body for Unauthorized
  std::string retry_after; // for Failed after an HTTP 429/503
  bool progressed = false; // a line arrived
};

RestClient::StreamEnd RestClient::watch_stream(const std::string& target, WatchCache& cache,
                                               const std::function<bool(const WatchEvent&)>& deliver,
                                               const std::function<bool()>& expired) {
  HttpRequest req;
  req.target = target;
  StreamEnd end;
  std::optional<ApiError> fatal;
  LineSplitter lines;
  auto on_line = [&](std::string_view line) {
    end.progressed = true;
    Json ev;
    try {
      ev = json::parse(line);
    } catch (const Json::exception&) {
      end = {StreamEnd::Failed, "a watch event is not JSON", "", true};
      return false;
    }
    const std::string type = ev.is_object() ? ev.value("type", "") : "";
    const Json object = ev.is_object() ? ev.value("object", Json::object()) : Json::object();
    if (type == "ERROR") {
      const long code = object.value("code", 0L);
      if (code == 410) end.kind = StreamEnd::Gone;
      else if (retryable(code) || code == 0) end = {StreamEnd::Failed, status_message(object.dump(), code), "", true};
      else fatal.emplace(static_cast<int>(code), object.value("reason", ""), status_message(object.dump(), code));
      return false;
    }
    if (type != "ADDED" && type != "MODIFIED" && type != "DELETED" && type != "BOOKMARK") {
      end = {StreamEnd::Failed, "unknown watch event type " + str::quote(type), "", true};
      return false;
    }
    const WatchEvent e{type, object};
    if (cache.seen(e)) return true; // replayed after a reconnect or a paged list
    if (!deliver(e)) {
      end.kind = StreamEnd::Stopped;
      return false;
    }
    return true;
  };
  StreamResponse res;
  try {
    res = m_http.perform_stream(req, [&](std::string_view chunk) { return lines.feed(chunk, on_line); }, expired);
  } catch (const TransportError& e) {
    if (e.permanent()) throw unreachable(e.what());
    return {StreamEnd::Failed, e.what(), "", end.progressed};
  }
  if (fatal) throw *fatal;
  if (res.status == 410) return {StreamEnd::Gone, "", "", false};
  if (res.status == 401) return {StreamEnd::Unauthorized, res.body, "", false};
  if (retryable(res.status)) return {StreamEnd::Failed, status_message(res.body, res.status), res.retry_after, false};
  if (res.status < 200 || res.status >= 300) checked(HttpResponse{res.status, res.body, res.retry_after});
  if (end.kind != StreamEnd::Closed) return end;
  if (res.stopped) return {StreamEnd::Stopped, "", "", end.progressed};
  if (!lines.empty()) return {StreamEnd::Failed, "the stream ended inside an event", "", true};
  return end;
}

std::string RestClient::watch(std::string_view api_version, std::string_view kind, const WatchOptions& o,
                              const std::function<bool(const WatchEvent&)>& on_event) {
  const ResourceInfo r = need(api_version, kind);
  const std::string base = collection(api_version, r, o.namespace_);
  const std::string query = selectors(o.label_selector, o.field_selector);
  const std::string what = r.display() + (o.namespace_.empty() ? "" : " in namespace " + o.namespace_);
  const auto deadline = o.timeout.count() > 0 ? Clock::now() + o.timeout : Clock::time_point::max();
  const std::function<bool()> expired = [deadline] { return Clock::now() >= deadline; };
  WatchCache cache;
  bool stopped = false;
  auto deliver = [&](const WatchEvent& e) {
    cache.record(e);
    stopped = !on_event(e) || expired();
    return !stopped;
  };
  auto relist = [&](bool initial) {
    std::string rv;
    const auto items = list_all(r, base, query, 500, &rv);
    if (initial) {
      for (const auto& item : items)
        if (!deliver({"ADDED", item})) break;
    } else {
      for (const auto& e : cache.diff(items))
        if (!deliver(e)) break;
    }
    cache.set_resource_version(rv);
  };
  if (o.resource_version.empty()) relist(true);
  else cache.set_resource_version(o.resource_version);

  int failures = 0, quiet = 0; // streams in a row that failed / ended without a line
  bool refreshed = false;
  while (!stopped && !expired()) {
    const std::string target = base + "?watch=true&allowWatchBookmarks=true&resourceVersion=" +
                               escape(cache.resource_version()) + query + "&timeoutSeconds=" +
                               std::to_string(request_seconds(m_options.watch_request_timeout, deadline));
    debug("watch " + what + ": opening from resourceVersion " + cache.resource_version());
    const StreamEnd end = watch_stream(target, cache, deliver, expired);
    if (end.progressed) {
      failures = quiet = 0;
      refreshed = false;
    }
    switch (end.kind) {
    case StreamEnd::Stopped:
      stopped = true;
      break;
    case StreamEnd::Closed: // timeoutSeconds passed: reopen (backing off while streams say nothing)
      if (!end.progressed) sleep_before(backoff(quiet++, ""), deadline);
      break;
    case StreamEnd::Gone:
      debug("watch " + what + ": resourceVersion " + cache.resource_version() + " is gone (410); listing again");
      relist(false);
      break;
    case StreamEnd::Unauthorized:
      if (refreshed) checked(HttpResponse{401, end.why, ""});
      refreshed = true;
      m_http.refresh_credentials();
      break;
    case StreamEnd::Failed: {
      if (++failures > m_options.max_retries)
        throw Error(redacted("cannot watch " + what + " on " + server() + ": " + end.why + " (" +
                             std::to_string(failures) + " attempts)"));
      const auto wait = backoff(failures - 1, end.retry_after);
      debug("watch " + what + ": " + end.why + "; reopening from resourceVersion " + cache.resource_version() + " in " +
            std::to_string(wait.count()) + "ms");
      sleep_before(wait, deadline);
      break;
    }
    }
  }
  return cache.resource_version();
}

void RestClient::pod_logs(const std::string& ns, const std::string& pod, const PodLogOptions& o,
                          const std::function<bool(std::string_view)>& on_data) {
  HttpRequest req;
  req.accept = "text/plain, */*";
  req.target = "/api/v1/namespaces/" + escape(ns) + "/pods/" + escape(pod) + "/log";
  std::string query;
  if (!o.container.empty()) query += "&container=" + escape(o.container);
  if (o.follow) query += "&follow=true";
  if (o.tail_lines >= 0) query += "&tailLines=" + std::to_string(o.tail_lines);
  if (o.previous) query += "&previous=true";
  if (!query.empty()) req.target += "?" + query.substr(1);
  const std::string who = "pod " + str::quote(ns + "/" + pod);
  bool delivered = false, refreshed = false;
  for (int attempt = 0;; ++attempt) {
    StreamResponse res;
    try {
      res = m_http.perform_stream(req, [&](std::string_view chunk) {
        delivered = true;
        return on_data(chunk);
      }, {});
    } catch (const TransportError& e) {
      if (delivered && !e.permanent()) throw Error(redacted("the log of " + who + " broke off: " + e.what()));
      after_transport_error(e, attempt, "log of " + who);
      continue;
    }
    if (res.status == 401 && !refreshed) {
      refreshed = true;
      m_http.refresh_credentials();
      continue;
    }
    if (retryable(res.status) && attempt < m_options.max_retries) {
      const auto wait = backoff(attempt, res.retry_after);
      debug("log of " + who + ": HTTP " + std::to_string(res.status) + "; retrying in " + std::to_string(wait.count()) + "ms");
      std::this_thread::sleep_for(wait);
      continue;
    }
    checked(HttpResponse{res.status, res.body, res.retry_after});
    return;
  }
}

// Once, not retried: a pod that does not answer is an answer (kf status
// shows the others), and retrying a 503 would hold kf status up.
std::string RestClient::pod_proxy_get(const std::string& ns, const std::string& pod, int port, const std::string& path) {
  HttpRequest req;
  req.accept = "text/plain, */*";
  req.timeout = std::chrono::seconds(5);
  req.target = "/api/v1/namespaces/" + escape(ns) + "/pods/" + escape(pod) + ":" + std::to_string(port) + "/proxy/" + path;
  HttpResponse res;
  for (bool refreshed = false;;) {
    m_bucket.wait();
    try {
      const InFlightLimit::Slot slot(m_in_flight);
      res = m_http.perform(req);
    } catch (const TransportError& e) {
      throw unreachable(e.what());
    }
    if (res.status != 401 || refreshed) break;
    refreshed = true;
    m_http.refresh_credentials();
  }
  return checked(res).body;
}

} // namespace kf::kube
