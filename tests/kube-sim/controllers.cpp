// The controller loop: events in, lifecycle steps and garbage collection out.
//
// Every object gets one entry by uid the first time a reconciler wants it;
// the entry stays (marked done) when its lifecycle ends, so stale events of
// a finished object never start it again, until the object is deleted.
// Garbage collection keeps an index owner uid -> dependents from the events
// and, like the real collector with background propagation, deletes a
// dependent once all of its owners are gone, also when it was created after
// its owner's deletion. When events were dropped (--watch-history) the loop
// lists everything again.
#include "tests/kube-sim/controllers.h"

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

#include "tests/kube-sim/controllers_kit.h"

namespace kubesim {

namespace {

using Clock = std::chrono::steady_clock;

struct Tracked {
  sim::Reconciler* rec = nullptr;
  ResourceType type;
  std::string ns, name;
  std::unique_ptr<sim::RunState> state;
  Clock::time_point due;
  bool done = false;
};

struct Dependent {
  ResourceType type;
  std::string ns, name, uid;
};

class Loop {
public:
  Loop(Store& store, Controllers::Options options, const std::atomic<bool>& stop)
      : m_store(store), m_options(options), m_stop(stop) {
    for (auto& r : sim::job_reconcilers()) m_recs.push_back(std::move(r));
    m_recs.push_back(sim::trainjob_reconciler());
    m_recs.push_back(sim::katib_reconciler());
    m_recs.push_back(sim::kserve_reconciler());
    m_recs.push_back(sim::argo_reconciler());
    for (auto& r : sim::misc_reconcilers()) m_recs.push_back(std::move(r));
  }

  void run() {
    std::uint64_t rv = m_store.resource_version();
    resync();
    while (!m_stop && !m_store.stopping()) {
      auto wait = std::chrono::milliseconds(500);
      const auto now = Clock::now();
      for (const auto& [uid, t] : m_tracked)
        if (!t.done) wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(std::max(t.due - now, Clock::duration::zero())));
      bool lost = false;
      std::uint64_t seen = rv;
      const auto events = m_store.all_events_after(rv, wait, &seen, &lost);
      rv = seen;
      if (lost) resync();
      for (const auto& e : events) guarded([&] { on_event(e); });
      step_due();
    }
  }

private:
  // Runs one reconcile or collection; a failure is reported and that step
  // skipped. NotFound is a race with a client's delete (of the object or its
  // namespace) and not worth a line.
  template <class F> void guarded(F f) {
    try {
      f();
    } catch (const ApiError& e) {
      if (e.code != 404 && !m_store.stopping()) std::cerr << "kube-sim: controllers: " << e.what() << '\n';
    } catch (const std::exception& e) {
      if (!m_store.stopping()) std::cerr << "kube-sim: controllers: " << e.what() << '\n';
    }
  }

  std::optional<ResourceType> type_of(const std::string& key) {
    std::stringstream in(key);
    std::string group, version, resource;
    std::getline(in, group, '/');
    std::getline(in, version, '/');
    std::getline(in, resource, '/');
    return m_store.find_type(group, version, resource);
  }

  sim::Reconciler* reconciler(const ResourceType& t) const {
    for (const auto& r : m_recs)
      if (r->handles(t)) return r.get();
    return nullptr;
  }

  void on_event(const Event& e) {
    const std::string uid = e.object["metadata"].value("uid", "");
    if (e.type == "DELETED") {
      m_tracked.erase(uid);
      collect(uid);
      return;
    }
    const auto t = type_of(e.type_key);
    if (t) observe(*t, e.object, e.type == "ADDED");
  }

  // Indexes an object's owners (deleting it when they are gone already) and starts or restarts its lifecycle.
  void observe(const ResourceType& t, const Json& obj, bool check_owners) {
    const Json& md = obj["metadata"];
    const std::string uid = md.value("uid", "");
    if (md.contains("ownerReferences") && md["ownerReferences"].is_array()) {
      for (const auto& ref : md["ownerReferences"]) {
        auto& deps = m_dependents[ref.value("uid", "")];
        if (std::none_of(deps.begin(), deps.end(), [&](const Dependent& d) { return d.uid == uid; }))
          deps.push_back(Dependent{t, md.value("namespace", ""), md.value("name", ""), uid});
      }
      if (check_owners && owners_gone(obj)) {
        sim::remove(m_store, t, md.value("namespace", ""), md.value("name", ""), uid);
        return;
      }
    }
    sim::Reconciler* rec = reconciler(t);
    if (!rec) return;
    const auto it = m_tracked.find(uid);
    if (it != m_tracked.end()) {
      if (rec->restarts(obj, *it->second.state)) {
        it->second.state = rec->start(obj);
        it->second.due = Clock::now();
        it->second.done = false;
      }
      return;
    }
    if (!rec->wants(obj)) return;
    m_tracked[uid] = Tracked{rec, t, md.value("namespace", ""), md.value("name", ""), rec->start(obj), Clock::now(), false};
  }

  bool owners_gone(const Json& obj) const {
    const Json& md = obj["metadata"];
    for (const auto& ref : md["ownerReferences"]) {
      const auto t = m_store.find_kind(ref.value("apiVersion", ""), ref.value("kind", ""));
      if (!t) continue;
      const auto owner = m_store.get(*t, t->namespaced ? md.value("namespace", "") : "", ref.value("name", ""));
      if (owner && (*owner)["metadata"].value("uid", "") == ref.value("uid", "")) return false;
    }
    return true;
  }

  // Deletes the dependents of a deleted owner whose owners are all gone.
  void collect(const std::string& owner_uid) {
    const auto node = m_dependents.extract(owner_uid);
    if (node.empty()) return;
    for (const auto& d : node.mapped())
      guarded([&] {
        const auto obj = m_store.get(d.type, d.ns, d.name);
        if (obj && (*obj)["metadata"].value("uid", "") == d.uid && owners_gone(*obj))
          sim::remove(m_store, d.type, d.ns, d.name, d.uid);
      });
  }

  // Lists everything again: after dropped events, and at start.
  void resync() {
    m_dependents.clear();
    std::set<std::string> present;
    for (const auto& t : m_store.types()) {
      const Json list = m_store.list(t, Query{});
      for (const auto& obj : list["items"]) {
        present.insert(obj["metadata"].value("uid", ""));
        guarded([&] { observe(t, obj, true); });
      }
    }
    for (auto it = m_tracked.begin(); it != m_tracked.end();)
      it = present.count(it->first) ? std::next(it) : m_tracked.erase(it);
  }

  std::chrono::milliseconds period(const Json& obj) const {
    const std::string slow = sim::annotation(obj, sim::k_slow);
    if (!slow.empty() && slow.find_first_not_of("0123456789") == std::string::npos && slow.size() < 9)
      return std::chrono::milliseconds(std::stol(slow));
    return m_options.step;
  }

  void step_due() {
    const auto now = Clock::now();
    for (auto& [uid, t] : m_tracked) {
      if (t.done || t.due > now || m_stop) continue;
      const auto obj = m_store.get(t.type, t.ns, t.name);
      if (!obj || (*obj)["metadata"].value("uid", "") != uid) {
        t.done = true; // gone: its DELETED event removes the entry
        continue;
      }
      sim::Target target{m_store, t.type, *obj, t.ns, t.name, uid};
      bool more = false;
      guarded([&] { more = t.rec->step(target, *t.state); });
      ++t.state->step;
      t.done = !more;
      t.due = Clock::now() + period(*obj);
    }
  }

  Store& m_store;
  Controllers::Options m_options;
  const std::atomic<bool>& m_stop;
  std::vector<std::unique_ptr<sim::Reconciler>> m_recs;
  std::map<std::string, Tracked> m_tracked;                 // by uid
  std::map<std::string, std::vector<Dependent>> m_dependents; // owner uid -> dependents
};

} // namespace

Controllers::Controllers(Store& store, Options options) : m_store(store), m_options(options) {}

Controllers::~Controllers() { stop(); }

void Controllers::start() {
  if (!m_thread.joinable()) m_thread = std::thread([this] { run(); });
}

void Controllers::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
}

void Controllers::run() {
  Loop loop(m_store, m_options, m_stop);
  loop.run();
}

} // namespace kubesim
