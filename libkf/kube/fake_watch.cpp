// FakeClient's watch and pod logs: the event history apply() and remove()
// record, read by watchers that wait on m_cv; logs fed by the tests.
#include <algorithm>

#include "libkf/kube/fake_client.h"
#include "libkf/kube/selector.h"
#include "libkf/util/strings.h"

namespace kf::kube {

namespace {

using Clock = std::chrono::steady_clock;

// Waits on `cv` until `ready` or `deadline` (max = no deadline); false on timeout.
template <class Ready>
bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Clock::time_point deadline, Ready ready) {
  if (deadline == Clock::time_point::max()) {
    cv.wait(lock, ready);
    return true;
  }
  return cv.wait_until(lock, deadline, ready);
}

// The last `lines` lines of `text` (all of it for -1), as tailLines counts them.
std::string tail(const std::string& text, int lines) {
  if (lines < 0) return text;
  std::size_t pos = !text.empty() && text.back() == '\n' ? text.size() - 1 : text.size();
  for (int n = 0; n < lines; ++n) {
    const auto nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return lines == 0 ? "" : text.substr(pos + 1);
}

} // namespace

std::vector<std::pair<std::uint64_t, WatchEvent>> FakeClient::events_after(std::uint64_t rv, const std::string& type_key,
                                                                           const std::function<bool(const Json&)>& in_scope) const {
  std::vector<std::pair<std::uint64_t, WatchEvent>> out;
  auto it = std::upper_bound(m_events.begin(), m_events.end(), rv, [](std::uint64_t v, const Event& e) { return v < e.rv; });
  for (; it != m_events.end(); ++it) {
    if (it->type_key != type_key) continue;
    const bool is = in_scope(it->object);
    const bool was = it->type == "MODIFIED" && in_scope(it->previous);
    std::string type = it->type;
    if (it->type == "MODIFIED" && !was && !is) continue;
    if (it->type == "MODIFIED" && !was) type = "ADDED"; // started to match
    if (it->type == "MODIFIED" && !is) type = "DELETED"; // stopped matching
    if (it->type != "MODIFIED" && !is) continue;
    out.emplace_back(it->rv, WatchEvent{type, it->object});
  }
  return out;
}

std::string FakeClient::watch(std::string_view api_version, std::string_view kind, const WatchOptions& o,
                              const std::function<bool(const WatchEvent&)>& on_event) {
  const Selector selector = Selector::parse(o.label_selector, o.field_selector);
  const auto deadline = o.timeout.count() > 0 ? Clock::now() + o.timeout : Clock::time_point::max();
  std::unique_lock lock(m_mu);
  ++m_requests;
  const bool namespaced = kind_of(api_version, kind).namespaced;
  const std::string type_key = std::string(api_version) + "/" + std::string(kind);
  const std::function<bool(const Json&)> in_scope = [&](const Json& obj) {
    return (!namespaced || o.namespace_.empty() || obj["metadata"].value("namespace", "") == o.namespace_) &&
           selector.matches(obj);
  };
  std::uint64_t rv = 0;
  std::vector<std::pair<std::uint64_t, WatchEvent>> batch;
  if (o.resource_version.empty()) {
    rv = m_rv;
    for (const auto& [k, obj] : m_objects)
      if (obj.value("apiVersion", "") + "/" + obj.value("kind", "") == type_key && in_scope(obj))
        batch.emplace_back(rv, WatchEvent{"ADDED", obj});
  } else {
    if (o.resource_version.find_first_not_of("0123456789") != std::string::npos || o.resource_version.size() > 19)
      throw ApiError(400, "BadRequest", "resourceVersion: Invalid value: " + str::quote(o.resource_version) + ": must be an integer");
    rv = std::stoull(o.resource_version);
  }
  for (;;) {
    const auto more = events_after(rv, type_key, in_scope);
    batch.insert(batch.end(), more.begin(), more.end());
    const std::uint64_t head = std::max(rv, m_rv);
    lock.unlock();
    for (const auto& [at, e] : batch)
      if (!on_event(e)) return std::to_string(at);
    batch.clear();
    rv = head;
    lock.lock();
    if (!wait_until(m_cv, lock, deadline, [&] { return m_rv > rv; })) return std::to_string(rv);
  }
}

void FakeClient::set_pod_log(const std::string& ns, const std::string& pod, const std::string& text) {
  const std::lock_guard lock(m_mu);
  m_logs[ns + "/" + pod] = PodLog{text, false};
  m_cv.notify_all();
}

void FakeClient::append_pod_log(const std::string& ns, const std::string& pod, const std::string& text) {
  const std::lock_guard lock(m_mu);
  m_logs[ns + "/" + pod].text += text;
  m_cv.notify_all();
}

void FakeClient::end_pod_log(const std::string& ns, const std::string& pod) {
  const std::lock_guard lock(m_mu);
  m_logs[ns + "/" + pod].ended = true;
  m_cv.notify_all();
}

void FakeClient::set_log_follow_timeout(std::chrono::milliseconds timeout) {
  const std::lock_guard lock(m_mu);
  m_follow_timeout = timeout;
}

void FakeClient::set_proxy_answer(const std::string& ns, const std::string& pod, int port, const std::string& path, std::string body) {
  std::lock_guard lock(m_mu);
  m_proxied[ns + "/" + pod + ":" + std::to_string(port) + "/" + path] = std::move(body);
}

std::string FakeClient::pod_proxy_get(const std::string& ns, const std::string& pod, int port, const std::string& path) {
  std::lock_guard lock(m_mu);
  ++m_requests;
  const auto it = m_proxied.find(ns + "/" + pod + ":" + std::to_string(port) + "/" + path);
  if (it != m_proxied.end()) return it->second;
  if (!m_objects.count("v1/Pod/" + ns + "/" + pod)) throw ApiError(404, "NotFound", "pods " + str::quote(pod) + " not found");
  throw ApiError(503, "ServiceUnavailable", "error trying to reach service: dial tcp: connect: connection refused");
}

void FakeClient::pod_logs(const std::string& ns, const std::string& pod, const PodLogOptions& o,
                          const std::function<bool(std::string_view)>& on_data) {
  std::unique_lock lock(m_mu);
  ++m_requests;
  const std::string k = ns + "/" + pod;
  if (!m_logs.count(k) && !m_objects.count("v1/Pod/" + k)) throw ApiError(404, "NotFound", "pods " + str::quote(pod) + " not found");
  if (o.previous)
    throw ApiError(400, "BadRequest", "previous terminated container " + str::quote(o.container.empty() ? pod : o.container) +
                                          " in pod " + str::quote(pod) + " not found");
  const auto deadline = m_follow_timeout.count() > 0 ? Clock::now() + m_follow_timeout : Clock::time_point::max();
  const auto text = [&]() -> const PodLog& { return m_logs[k]; };
  std::size_t at = text().text.size();
  std::string chunk = tail(text().text, o.tail_lines);
  for (;;) {
    const bool ended = text().ended;
    lock.unlock();
    if (!chunk.empty() && !on_data(chunk)) return;
    if (!o.follow || (ended && chunk.empty())) return;
    lock.lock();
    if (!wait_until(m_cv, lock, deadline, [&] { return text().text.size() > at || text().ended; })) return;
    chunk = text().text.substr(std::min(at, text().text.size()));
    at = text().text.size();
  }
}

} // namespace kf::kube
