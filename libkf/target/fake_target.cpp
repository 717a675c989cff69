#include "libkf/target/fake_target.h"

#include <algorithm>
#include <chrono>

#include "libkf/target/summary.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::target {

void FakeTarget::set_status(const std::string& run, const Json& status) {
  const std::lock_guard lock(m_mu);
  auto& r = m_runs.at(run);
  r.object["status"] = status;
  ++r.version;
  m_changed.notify_all();
}

void FakeTarget::set_details(const std::string& run, const Json& details) {
  const std::lock_guard lock(m_mu);
  auto& r = m_runs.at(run);
  r.details = details;
  ++r.version;
  m_changed.notify_all();
}

void FakeTarget::set_log_tail(const std::string& run, const std::string& replica, std::vector<std::string> lines) {
  const std::lock_guard lock(m_mu);
  m_runs.at(run).failed_replica = replica;
  m_runs.at(run).tail = std::move(lines);
}

std::vector<std::string> FakeTarget::stopped() const {
  const std::lock_guard lock(m_mu);
  return m_stopped;
}

Submitted FakeTarget::submit(const Json& object, const SubmitOptions& options) {
  const std::lock_guard lock(m_mu);
  const std::string base = object["metadata"].value("name", "");
  std::string run = options.run_name;
  for (int n = 1; run.empty() || m_runs.count(run) > 0; ++n) {
    if (!options.run_name.empty()) throw Error("run " + str::quote(run) + " already exists");
    run = base + "-" + std::to_string(n);
  }
  Json o = object;
  o["metadata"]["name"] = run;
  o["status"] = Json::object();
  m_runs[run].object = o;
  m_order.push_back(run);
  return {run, o, "memory"};
}

std::optional<Json> FakeTarget::get(const std::string& run) const {
  const std::lock_guard lock(m_mu);
  const auto it = m_runs.find(run);
  if (it == m_runs.end()) return std::nullopt;
  return it->second.object;
}

std::vector<std::string> FakeTarget::list() const {
  const std::lock_guard lock(m_mu);
  return {m_order.rbegin(), m_order.rend()};
}

std::string FakeTarget::resolve(const std::string& run) const {
  if (run != "@latest") return run;
  const auto runs = list();
  if (runs.empty()) throw Error("no runs yet");
  return runs.front();
}

void FakeTarget::watch(const std::string& run, const WatchOptions& options,
                       const std::function<bool(const Json&)>& on_change) const {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  long seen = -1;
  std::unique_lock lock(m_mu);
  while (true) {
    const auto it = m_runs.find(run);
    if (it == m_runs.end()) throw Error("run " + str::quote(run) + " does not exist");
    if (it->second.version != seen) {
      seen = it->second.version;
      const Json object = it->second.object;
      lock.unlock(); // on_change may read the target
      const bool more = on_change(object);
      lock.lock();
      if (!more || summarize(object).settled) return;
    }
    if (options.keep_going) {
      lock.unlock();
      const bool go = options.keep_going();
      lock.lock();
      if (!go) return;
    }
    if (options.timeout.count() > 0 && std::chrono::steady_clock::now() > deadline)
      throw Error("timed out after " + std::to_string(options.timeout.count() / 1000) + "s waiting for run " + run);
    m_changed.wait_for(lock, std::chrono::milliseconds(20));
  }
}

void FakeTarget::watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const {
  while (keep_going() && on_event()) {
    std::unique_lock lock(m_mu);
    m_changed.wait_for(lock, std::chrono::milliseconds(20));
  }
}

Json FakeTarget::details(const std::string& run) const {
  const std::lock_guard lock(m_mu);
  const auto it = m_runs.find(run);
  return it == m_runs.end() ? Json::object() : it->second.details;
}

std::vector<Json> FakeTarget::describe(const std::string& name) const {
  std::vector<Json> out;
  for (const auto& run : name.empty() ? list() : std::vector<std::string>{resolve(name)}) {
    const auto object = get(run);
    if (!object) throw Error("run " + str::quote(run) + " does not exist");
    const auto s = summarize(*object);
    Json v = {{"name", run}, {"kind", object->value("kind", "")}, {"target", "fake"}, {"state", s.state}, {"message", s.message}};
    const std::lock_guard lock(m_mu);
    const Run& r = m_runs.at(run);
    if (!name.empty() && s.state == "Failed" && !r.failed_replica.empty()) {
      v["failedReplica"] = r.failed_replica;
      v["logTail"] = r.tail;
    }
    out.push_back(std::move(v));
  }
  return out;
}

void FakeTarget::logs(const std::string& run, const LogOptions&, std::ostream& out) const {
  const std::lock_guard lock(m_mu);
  for (const auto& l : m_runs.at(run).tail) out << l << '\n';
}

bool FakeTarget::stop(const std::string& run) {
  {
    const std::lock_guard lock(m_mu);
    if (m_runs.count(run) == 0) return false;
    m_stopped.push_back(run);
  }
  const auto o = get(run);
  Json status = o->value("status", Json::object());
  status["conditions"].push_back({{"type", "Failed"}, {"status", "True"}, {"reason", "Stopped"}, {"message", "stopped"}});
  set_status(run, status);
  return true;
}

bool FakeTarget::remove(const std::string& run) {
  const std::lock_guard lock(m_mu);
  if (m_runs.erase(run) == 0) return false;
  m_order.erase(std::find(m_order.begin(), m_order.end(), run));
  m_changed.notify_all();
  return true;
}

} // namespace kf::target
