#include "libkf/platform/wait.h"

#include <algorithm>
#include <thread>

#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::platform {

namespace {

std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 != 0) return std::to_string(d.count()) + "ms";
  const long s = static_cast<long>(d.count() / 1000);
  if (s >= 60 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

} // namespace

bool deployment_available(const Json& d) {
  const Json status = d.value("status", Json::object());
  const long generation = d.value("metadata", Json::object()).value("generation", 0L);
  if (status.value("observedGeneration", 0L) < generation) return false;
  for (const auto& c : status.value("conditions", Json::array()))
    if (c.value("type", "") == "Available") return c.value("status", "") == "True";
  return false;
}

void wait_available(kube::Client& client, const std::vector<kube::ObjectRef>& deployments,
                    std::chrono::milliseconds timeout, const std::function<void(const WaitProgress&)>& on_progress) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<kube::ObjectRef> pending = deployments;
  auto pause = std::chrono::milliseconds(50);
  WaitProgress last;
  last.total = deployments.size();
  last.ready = deployments.size() + 1; // so that the first round always reports
  while (true) {
    std::vector<kube::ObjectRef> still;
    for (const auto& ref : pending) {
      const auto d = client.get(ref);
      if (!d) throw Error("Deployment " + ref.namespace_ + "/" + ref.name + " disappeared while kf waited for it");
      if (!deployment_available(*d)) still.push_back(ref);
    }
    pending = std::move(still);
    WaitProgress p;
    p.total = deployments.size();
    p.ready = p.total - pending.size();
    for (const auto& ref : pending) p.pending.push_back(ref.namespace_ + "/" + ref.name);
    if (on_progress && (p.ready != last.ready || p.pending != last.pending)) on_progress(p);
    last = p;
    if (pending.empty()) return;
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error("timed out after " + duration_text(timeout) + " waiting for " +
                  std::to_string(pending.size()) + " of " + std::to_string(p.total) +
                  " Deployments to become Available: " + str::join(p.pending, ", "));
    std::this_thread::sleep_for(std::min(pause, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    deadline - std::chrono::steady_clock::now()) +
                                                    std::chrono::milliseconds(1)));
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

} // namespace kf::platform
