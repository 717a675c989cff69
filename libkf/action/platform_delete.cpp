// kf delete --platform | -f: removes what kf applied (platform.h).
#include "libkf/action/platform.h"

#include "libkf/platform/record.h"
#include "libkf/util/error.h"

namespace kf::action {

namespace {

// The -f objects as they are on the cluster, when they carry kf's labels.
std::vector<Json> applied_objects_of(const Context& ctx, kube::Client& client, const DeleteAppliedOptions& o,
                                     DeleteAppliedResult& result) {
  std::vector<Json> out;
  for (const auto& m : platform::read_manifests(o.files, o.stdin_text)) {
    Json obj = m.object;
    const std::string api_version = obj.value("apiVersion", ""), kind = obj.value("kind", "");
    const auto info = client.resource(api_version, kind);
    if (!info) continue; // its kind is not served: nothing of it to delete
    if (info->namespaced && obj["metadata"].value("namespace", "").empty())
      obj["metadata"]["namespace"] = o.kubeconfig.namespace_.empty() ? "default" : o.kubeconfig.namespace_;
    const auto current = client.get(kube::ObjectRef::of(obj));
    if (!current) continue;
    const Json labels = (*current)["metadata"].value("labels", Json::object());
    if (labels.value(platform::k_label_managed_by, "") != "kf") {
      const std::string shown = platform::display_kind(obj) + "/" + obj["metadata"].value("name", "");
      ctx.reporter.warn(shown + ": not applied by kf (no app.kubernetes.io/managed-by=kf label); left alone");
      result.left_alone.push_back(shown);
      continue;
    }
    Json listed = *current;
    listed["apiVersion"] = api_version;
    listed["kind"] = kind;
    out.push_back(std::move(listed));
  }
  return out;
}

} // namespace

DeleteAppliedResult delete_applied(const Context& ctx, const DeleteAppliedOptions& options, kube::Client& client) {
  if (options.platform == !options.files.empty())
    throw UsageError(options.platform ? "kf delete: give --platform or -f, not both"
                                      : "kf delete needs RUN names, -f FILE|DIR|- or --platform");
  DeleteAppliedResult result;
  if (!options.files.empty()) {
    result.deleted = delete_objects(ctx, client, applied_objects_of(ctx, client, options, result), options.dry_run,
                                    options.concurrency, "deleted");
    return result;
  }
  const auto loaded = spec::load_project(options.load);
  const std::string& project = loaded.project.name;
  const auto kinds = platform::read_record(client, project);
  if (kinds.empty()) ctx.reporter.info("kf has applied nothing for project " + project + " to " + client.server());
  result.deleted = delete_objects(ctx, client, platform::list_applied(client, project, kinds), options.dry_run,
                                  options.concurrency, "deleted");
  if (!options.dry_run) platform::delete_record(client, project);
  return result;
}

} // namespace kf::action
