// Pod logs: the Store's per-container log lines (written by the simulated
// kubelet in controllers_pod.cpp) and GET .../pods/NAME/log with container,
// follow, tailLines, previous and timestamps, answered the way the real
// server answers (text/plain; a chunked stream with follow=true that ends
// when the container terminates, the pod goes or kube-sim stops).
// Not simulated: sinceSeconds, sinceTime, limitBytes (ignored). A follow
// stream is application/octet-stream, not text/plain as kube-apiserver says:
// cpp-httplib gzips text/* for clients that accept gzip (kubectl does), and
// its compressor would hold the lines back until the stream ends.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "tests/kube-sim/handlers.h"
#include "tests/kube-sim/server.h"

namespace kubesim {

namespace {

std::string now_nano() {
  const std::int64_t ms = kf::now_ms();
  std::string t = kf::rfc3339(ms / 1000); // "...:08Z"
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03d000000Z", static_cast<int>(ms % 1000));
  return t.substr(0, t.size() - 1) + frac;
}

std::vector<std::string> container_names(const Json& pod) {
  std::vector<std::string> out;
  for (const char* field : {"containers", "initContainers", "ephemeralContainers"})
    if (pod.contains("spec") && pod["spec"].contains(field) && pod["spec"][field].is_array())
      for (const auto& c : pod["spec"][field]) out.push_back(c.value("name", ""));
  return out;
}

// Why a container has no log yet, as its status says ("ContainerCreating").
std::string waiting_reason(const Json& pod, const std::string& container) {
  const Json& status = pod.contains("status") ? pod["status"] : Json::object();
  if (status.contains("containerStatuses"))
    for (const auto& cs : status["containerStatuses"])
      if (cs.value("name", "") == container && cs.contains("state") && cs["state"].contains("waiting"))
        return cs["state"]["waiting"].value("reason", "ContainerCreating");
  return "ContainerCreating";
}

std::string render(const std::vector<Store::LogLine>& lines, std::size_t from, bool timestamps) {
  std::string out;
  for (std::size_t i = from; i < lines.size(); ++i) out += (timestamps ? lines[i].time + " " : "") + lines[i].text + "\n";
  return out;
}

struct FollowState {
  std::string pod_uid, container;
  std::size_t next = 0; // index of the next line to send
  bool timestamps = false;
  std::uint64_t run = 0; // the container run followed; a restart ends the stream
};

} // namespace

void Store::log_start(const std::string& pod_uid, const std::string& container) {
  const std::lock_guard lock(m_mu);
  auto& log = m_logs[pod_uid][container];
  if (!log.current.empty() || log.ended) {
    log.previous = std::move(log.current);
    log.has_previous = true;
  }
  log.current.clear();
  log.ended = false;
  ++log.run;
  m_cv.notify_all();
}

void Store::log_append(const std::string& pod_uid, const std::string& container, const std::string& line) {
  const std::lock_guard lock(m_mu);
  m_logs[pod_uid][container].current.push_back(LogLine{now_nano(), line});
  m_cv.notify_all();
}

void Store::log_end(const std::string& pod_uid, const std::string& container) {
  const std::lock_guard lock(m_mu);
  m_logs[pod_uid][container].ended = true;
  m_cv.notify_all();
}

Store::LogRead Store::log_read(const std::string& pod_uid, const std::string& container, bool previous,
                               std::size_t from, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(m_mu);
  auto find = [&]() -> const ContainerLog* {
    const auto pod = m_logs.find(pod_uid);
    if (pod == m_logs.end()) return nullptr;
    const auto c = pod->second.find(container);
    return c == pod->second.end() ? nullptr : &c->second;
  };
  if (!previous && timeout.count() > 0)
    m_cv.wait_for(lock, timeout, [&] {
      const ContainerLog* log = find();
      return m_stopping || !log || log->ended || log->current.size() != from;
    });
  LogRead out;
  const ContainerLog* log = find();
  if (!log || (previous && !log->has_previous)) return out;
  const auto& lines = previous ? log->previous : log->current;
  out.exists = true;
  out.ended = previous || log->ended;
  out.run = previous ? log->run - 1 : log->run;
  // One at a time: GCC 12 at -O2 reports a false null dereference in vector::assign of this range.
  for (std::size_t i = from; i < lines.size(); ++i) out.lines.push_back(lines[i]);
  return out;
}

void Store::forget_logs(const ResourceType& t, const Json& gone) {
  if (t.kind != "Pod" || !t.group.empty()) return;
  m_logs.erase(gone["metadata"].value("uid", ""));
  m_cv.notify_all(); // followers of its logs end
}

void serve_pod_log(Store& store, Call& c) {
  if (c.req.method != "GET") throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  const auto pod = store.get(c.type, c.ns, c.name);
  if (!pod) throw ApiError(404, "NotFound", "pods \"" + c.name + "\" not found", {{"name", c.name}, {"kind", "pods"}});
  const auto names = container_names(*pod);
  std::string container = param(c.req, "container");
  if (container.empty()) {
    if (names.size() != 1) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : " ") + n;
      throw ApiError(400, "BadRequest", "a container name must be specified for pod " + c.name + ", choose one of: [" + list + "]");
    }
    container = names[0];
  }
  if (std::find(names.begin(), names.end(), container) == names.end())
    throw ApiError(400, "BadRequest", "container " + container + " is not valid for pod " + c.name);
  const bool previous = flag(c.req, "previous");
  const bool follow = flag(c.req, "follow") && !previous;
  const bool timestamps = flag(c.req, "timestamps");
  const std::string uid = (*pod)["metadata"].value("uid", "");
  const auto read = store.log_read(uid, container, previous, 0, std::chrono::milliseconds(0));
  if (!read.exists && previous)
    throw ApiError(400, "BadRequest", "previous terminated container \"" + container + "\" in pod \"" + c.name + "\" not found");
  if (!read.exists)
    throw ApiError(400, "BadRequest", "container \"" + container + "\" in pod \"" + c.name +
                                          "\" is waiting to start: " + waiting_reason(*pod, container));
  std::size_t from = 0;
  const std::string tail = param(c.req, "tailLines");
  if (!tail.empty()) {
    if (tail.find_first_not_of("0123456789") != std::string::npos)
      throw ApiError(400, "BadRequest", "tailLines: Invalid value: \"" + tail + "\": must be a non-negative integer");
    const std::size_t n = tail.size() > 9 ? read.lines.size() : std::stoul(tail);
    from = read.lines.size() > n ? read.lines.size() - n : 0;
  }
  c.res.status = 200;
  if (!follow || read.ended) {
    c.res.set_content(render(read.lines, from, timestamps), "text/plain");
    return;
  }
  auto st = std::make_shared<FollowState>(FollowState{uid, container, from, timestamps, read.run});
  c.res.set_chunked_content_provider("application/octet-stream", [&store, st](std::size_t, httplib::DataSink& sink) {
    const auto more = store.log_read(st->pod_uid, st->container, false, st->next, std::chrono::seconds(1));
    if (more.run != st->run) {
      sink.done();
      return true;
    }
    if (!more.lines.empty()) {
      const std::string text = render(more.lines, 0, st->timestamps);
      if (!sink.write(text.data(), text.size())) return false;
      st->next += more.lines.size();
    }
    if (!more.exists || (more.ended && more.lines.empty()) || store.stopping()) sink.done();
    return true;
  });
}

} // namespace kubesim
