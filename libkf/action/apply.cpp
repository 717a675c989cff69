#include "libkf/action/apply.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "libkf/kube/rest_client.h"
#include "libkf/platform/applier.h"
#include "libkf/platform/parallel.h"
#include "libkf/platform/record.h"
#include "libkf/util/error.h"
#include "libkf/util/strings.h"

namespace kf::action {

using platform::Manifest;

namespace {

std::string name_of(const Json& obj) { return obj.value("metadata", Json::object()).value("name", ""); }

std::vector<std::string> kinds_of(const std::vector<Manifest>& manifests) {
  std::set<std::string> kinds;
  for (const auto& m : manifests) kinds.insert(m.object.value("apiVersion", "") + "/" + m.object.value("kind", ""));
  return {kinds.begin(), kinds.end()};
}

std::size_t workers(int concurrency) { return static_cast<std::size_t>(std::max(concurrency, 1)); }

// The Reporter is not thread-safe, and objects are applied (and requests retried) from several threads.
std::function<void(std::string_view)> serialized_debug(const Context& ctx) {
  static std::mutex mu;
  return [&ctx](std::string_view line) {
    const std::lock_guard lock(mu);
    ctx.reporter.debug(line);
  };
}

} // namespace

bool ApplyResult::changed() const {
  if (!pruned.empty()) return true;
  return std::any_of(objects.begin(), objects.end(), [](const AppliedObject& o) { return o.change != "unchanged"; });
}

std::vector<AppliedObject> delete_objects(const Context& ctx, kube::Client& client, const std::vector<Json>& objects,
                                          bool dry_run, int concurrency, const std::string& change) {
  const auto ordered = platform::delete_order(objects);
  const auto debug = serialized_debug(ctx);
  std::vector<AppliedObject> out;
  for (std::size_t begin = 0; begin < ordered.size();) {
    std::size_t end = begin;
    while (end < ordered.size() && platform::tier(ordered[end]) == platform::tier(ordered[begin])) ++end;
    std::vector<std::optional<AppliedObject>> done(end - begin);
    platform::parallel_for(end - begin, workers(concurrency), [&](std::size_t i) {
      const Json& obj = ordered[begin + i];
      kube::DeleteOptions d;
      d.dry_run = dry_run;
      if (!client.remove(kube::ObjectRef::of(obj), d)) return;
      const std::string ns = obj["metadata"].value("namespace", "");
      done[i] = AppliedObject{platform::display_kind(obj) + "/" + name_of(obj), ns, change, obj};
      debug(done[i]->display + " " + change);
    });
    for (auto& d : done)
      if (d) out.push_back(std::move(*d));
    begin = end;
  }
  return out;
}

ApplyResult apply_manifests(const Context& ctx, const ApplyOptions& options, kube::Client* client,
                            const std::vector<Manifest>& manifests, const std::string& applied_by) {
  std::vector<Manifest> labelled = manifests;
  for (auto& m : labelled) platform::set_labels(m.object, applied_by, m.component);
  const auto tiers = platform::apply_order(labelled);
  ApplyResult result;
  if (options.dry_run == DryRun::client || !client) { // the namespace kf would give, when it is known
    for (const auto& tier : tiers)
      for (const auto& m : tier) {
        Json obj = m.object;
        const std::string& ns = options.kubeconfig.namespace_;
        if (!ns.empty() && obj["metadata"].value("namespace", "").empty() && !platform::cluster_scoped(obj, labelled))
          obj["metadata"]["namespace"] = ns;
        result.objects.push_back({platform::display_kind(obj) + "/" + name_of(obj), obj["metadata"].value("namespace", ""), "", obj});
      }
    return result;
  }
  result.server = client->server();
  const bool dry = options.dry_run == DryRun::server;
  std::vector<std::string> kinds = kinds_of(labelled);
  if (!dry) kinds = platform::write_record(*client, applied_by, kinds, options.field_manager);
  platform::TierOptions to;
  to.default_namespace = options.kubeconfig.namespace_.empty() ? "default" : options.kubeconfig.namespace_;
  to.field_manager = options.field_manager;
  to.force = options.force_conflicts;
  to.dry_run = dry;
  to.concurrency = workers(options.concurrency);
  to.debug = serialized_debug(ctx);
  for (std::size_t t = 0; t < tiers.size(); ++t) {
    auto done = platform::apply_tier(*client, tiers[t], to);
    if (static_cast<int>(t) == platform::k_tier_crds) {
      if (dry) // a dry run installs no CRD: its custom resources are reported without asking
        for (const auto& m : tiers[t]) to.pending_crds.push_back(m.object);
      else
        platform::parallel_for(done.size(), to.concurrency, [&](std::size_t i) {
          platform::wait_served(*client, done[i].object, options.establish_timeout);
          to.debug(done[i].display + " established");
        });
    }
    for (auto& d : done) result.objects.push_back(std::move(d));
  }
  if (options.prune) {
    if (dry) {
      const auto recorded = platform::read_record(*client, applied_by);
      kinds.insert(kinds.end(), recorded.begin(), recorded.end());
    }
    std::set<std::string> keep;
    for (const auto& o : result.objects) keep.insert(platform::identity(o.object));
    const auto stale = platform::prune_selection(platform::list_applied(*client, applied_by, kinds), keep, applied_by);
    result.pruned = delete_objects(ctx, *client, stale, dry, options.concurrency, "pruned");
  }
  if (options.wait && !dry) {
    std::vector<kube::ObjectRef> deployments;
    for (const auto& o : result.objects)
      if (o.object.value("kind", "") == "Deployment" && platform::group_of(o.object.value("apiVersion", "")) == "apps")
        deployments.push_back(kube::ObjectRef::of(o.object));
    platform::wait_available(*client, deployments, options.timeout, options.on_wait);
    result.available = deployments.size();
  }
  return result;
}

ApplyResult apply(const Context& ctx, const ApplyOptions& options, kube::Client& client) {
  if (options.files.empty()) throw UsageError("kf apply -f needs FILE, DIR or -");
  return apply_manifests(ctx, options, &client, platform::read_manifests(options.files, options.stdin_text),
                         platform::k_applied_by_manifests);
}

std::unique_ptr<kube::Client> connect(const Context& ctx, const kube::KubeconfigOptions& options, std::string& namespace_out) {
  const auto config = kube::load_kubeconfig(options);
  ctx.reporter.debug("server " + config.server + " (context " + config.context + ", namespace " + config.namespace_ + ")");
  kube::RestOptions rest;
  rest.debug = serialized_debug(ctx);
  // No token bucket: apply bounds itself (--concurrency requests in flight) and honours the
  // server's 429s. kubectl's 50/300 bucket does not bind its apply either: it makes a client,
  // and so a fresh bucket, per resource mapping.
  rest.qps = 0;
  namespace_out = config.namespace_;
  return kube::connect(config, rest);
}

ApplyResult apply(const Context& ctx, const ApplyOptions& options) {
  if (options.files.empty()) throw UsageError("kf apply -f needs FILE, DIR or -");
  const auto manifests = platform::read_manifests(options.files, options.stdin_text);
  if (options.dry_run == DryRun::client)
    return apply_manifests(ctx, options, nullptr, manifests, platform::k_applied_by_manifests);
  ApplyOptions resolved = options;
  auto client = connect(ctx, options.kubeconfig, resolved.kubeconfig.namespace_);
  return apply_manifests(ctx, resolved, client.get(), manifests, platform::k_applied_by_manifests);
}

} // namespace kf::action
