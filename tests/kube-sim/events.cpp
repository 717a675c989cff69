// Core v1 Events, written the way the real components write them
// (controllers_kit.h): the operators and the kubelet through client-go's
// EventRecorder (source, first/lastTimestamp, count), kube-scheduler through
// events.k8s.io/v1 (eventTime, action; no source or count).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "libkf/util/json_field.h"
#include "tests/kube-sim/controllers_kit.h"

namespace kubesim::sim {

namespace {

ResourceType event_type(Store& store) { return *store.find_type("", "v1", "events"); }

// client-go names an event <object>.<unix nanoseconds in hex>; they only grow
// here, so two events recorded in the same clock tick still get two names.
std::string event_name(const std::string& object) {
  static std::atomic<std::uint64_t> last{0};
  const auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::uint64_t prev = last.load(), next = 0;
  do next = std::max(now, prev + 1);
  while (!last.compare_exchange_weak(prev, next));
  char hex[20];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(next));
  return object + "." + hex;
}

// An ObjectReference to `about`, as client-go's reference.GetReference makes it.
Json reference(const Json& about, const std::string& field_path) {
  const Json& md = about["metadata"];
  Json ref = {{"kind", about.value("kind", "")}, {"namespace", md.value("namespace", "")}, {"name", md.value("name", "")},
              {"uid", md.value("uid", "")}, {"apiVersion", about.value("apiVersion", "")}};
  if (md.contains("resourceVersion")) ref["resourceVersion"] = md["resourceVersion"];
  if (!field_path.empty()) ref["fieldPath"] = field_path;
  return ref;
}

// Events about cluster-scoped objects go to "default", as client-go puts them.
std::string namespace_of(const Json& ref) {
  const std::string ns = ref.value("namespace", "");
  return ns.empty() ? "default" : ns;
}

// A recorder never fails its caller: client-go drops an event it cannot
// write (here: its namespace was just deleted).
void create(Store& store, const std::string& ns, Json event) {
  const std::string name = event["metadata"].value("name", "");
  try {
    store.write(event_type(store), ns, name, [&](const Json*) { return std::optional<Json>(event); }, false);
  } catch (const ApiError&) {
  }
}

} // namespace

void record_event(Store& store, const EventSource& source, const Json& about, const std::string& type,
                  const std::string& reason, const std::string& message, const std::string& field_path) {
  const Json ref = reference(about, field_path);
  const std::string ns = namespace_of(ref), now = now_rfc3339();
  // The EventCorrelator's dedup: an identical event (resourceVersion aside)
  // is the first one again, counted.
  Query same;
  same.ns = ns;
  same.field_selector = "involvedObject.uid=" + ref.value("uid", "") + ",reason=" + reason;
  const Json list = store.list(event_type(store), same);
  for (const auto& e : list["items"]) { // (events a client wrote may lack fields)
    Json seen = kf::json_field(e, "involvedObject"), want = ref;
    if (seen.is_object()) seen.erase("resourceVersion");
    want.erase("resourceVersion");
    const Json& src = kf::json_field(e, "source");
    if (seen != want || kf::json_text(e, "type") != type || kf::json_text(e, "message") != message ||
        kf::json_text(src, "component") != source.component || kf::json_text(src, "host") != source.host)
      continue;
    const Json& md = kf::json_field(e, "metadata");
    update(store, event_type(store), ns, kf::json_text(md, "name"), kf::json_text(md, "uid"), [&](Json& ev) {
      const Json& count = kf::json_field(ev, "count");
      ev["count"] = (count.is_number_integer() ? count.get<int>() : 1) + 1;
      ev["lastTimestamp"] = now;
    });
    return;
  }
  Json src = {{"component", source.component}};
  if (!source.host.empty()) src["host"] = source.host;
  create(store, ns,
         {{"apiVersion", "v1"}, {"kind", "Event"}, {"metadata", {{"name", event_name(ref.value("name", ""))}, {"namespace", ns}}},
          {"involvedObject", ref}, {"reason", reason}, {"message", message}, {"source", src},
          {"firstTimestamp", now}, {"lastTimestamp", now}, {"count", 1}, {"type", type}, {"eventTime", nullptr},
          {"reportingComponent", source.component}, {"reportingInstance", source.host}});
}

void record_scheduled(Store& store, const Json& pod, const std::string& node) {
  const Json ref = reference(pod, "");
  const std::string ns = namespace_of(ref);
  const std::int64_t ms = kf::now_ms();
  const std::string second = kf::rfc3339(ms / 1000);
  char micro[16];
  std::snprintf(micro, sizeof micro, ".%03d000Z", static_cast<int>(ms % 1000));
  create(store, ns,
         {{"apiVersion", "v1"}, {"kind", "Event"}, {"metadata", {{"name", event_name(ref.value("name", ""))}, {"namespace", ns}}},
          {"involvedObject", ref}, {"reason", "Scheduled"},
          {"message", "Successfully assigned " + ns + "/" + ref.value("name", "") + " to " + node},
          {"source", Json::object()}, {"firstTimestamp", nullptr}, {"lastTimestamp", nullptr}, {"type", "Normal"},
          {"eventTime", second.substr(0, second.size() - 1) + micro}, {"action", "Binding"},
          {"reportingComponent", "default-scheduler"}, {"reportingInstance", "default-scheduler-" + node}});
}

} // namespace kubesim::sim
