#pragma once
// `kf apply -f FILE|DIR|-`: server-side apply of manifests in the order a
// cluster needs them (libkf/platform/objects.h): Namespaces, then CRDs (and
// kf waits until each is Established and its kinds are served), then the
// built-in kinds, custom resources, and admission webhooks last. Objects of
// one tier are applied concurrently (`concurrency` at once); results come
// back in apply order whatever the timing. Idempotent: an object the server
// did not change is reported "unchanged".
//
// Everything applied carries kf's labels (app.kubernetes.io/managed-by=kf,
// kf.dev/applied-by, kf.dev/component) and its kind is recorded
// (libkf/platform/record.h), so --prune deletes what kf applied before and
// no longer renders, and `kf delete` finds it. `kf apply` without -f (the
// platform of kf.yaml) is platform.h; both end in apply_manifests().

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libkf/action/context.h"
#include "libkf/kube/client.h"
#include "libkf/kube/kubeconfig.h"
#include "libkf/platform/applier.h"
#include "libkf/platform/objects.h"
#include "libkf/platform/wait.h"

namespace kf::action {

enum class DryRun {
  none,   // apply
  client, // render and order only: no requests at all (no cluster needed)
  server, // dryRun=All: the server validates every object and stores nothing
};

struct ApplyOptions {
  std::vector<std::string> files;       // -f: files, directories (their *.yaml, *.yml, *.json) or "-"
  std::string stdin_text;               // the text of "-"
  kube::KubeconfigOptions kubeconfig;   // --kubeconfig, --context, -n
  DryRun dry_run = DryRun::none;        // --dry-run=client|server
  bool force_conflicts = false;         // --force-conflicts: take fields other managers own
  std::string field_manager = "kf";     // --field-manager
  bool prune = false;                   // --prune: delete what kf applied before and no longer renders
  bool wait = false;                    // --wait: until every applied Deployment is Available
  std::chrono::milliseconds timeout{300000};          // --timeout of --wait (5m)
  std::chrono::milliseconds establish_timeout{60000}; // how long to wait for a CRD to be Established
  int concurrency = 8;                  // --concurrency: requests in flight within a tier (1 = one by one)
  std::function<void(const platform::WaitProgress&)> on_wait; // --wait's progress; may be empty
};

// One object: its kubectl name, namespace, what happened ("created",
// "configured", "unchanged"; "pruned", "deleted"; "" in a client dry run) and
// what the server returned (a client dry run: what would be sent).
using AppliedObject = platform::Applied;

struct ApplyResult {
  std::string server;                 // "" for a client dry run
  std::vector<AppliedObject> objects; // in apply order
  std::vector<AppliedObject> pruned;  // --prune, in delete order
  std::size_t available = 0;          // --wait: Deployments that became Available
  bool changed() const;               // anything created, configured or pruned
};

// Connects with the kubeconfig options (not for a client dry run).
ApplyResult apply(const Context& ctx, const ApplyOptions& options);
// With a given client (tests pass a kube::FakeClient).
ApplyResult apply(const Context& ctx, const ApplyOptions& options, kube::Client& client);

// The engine both `kf apply -f` and the platform use: labels the manifests
// with `applied_by` (and each one's component), records their kinds, applies
// them in order, prunes, waits. `client` is null for a client dry run.
ApplyResult apply_manifests(const Context& ctx, const ApplyOptions& options, kube::Client* client,
                            const std::vector<platform::Manifest>& manifests, const std::string& applied_by);

// Deletes `objects` (as listed from the server) in delete order, tier by
// tier; objects already gone are left out of the result.
std::vector<AppliedObject> delete_objects(const Context& ctx, kube::Client& client, const std::vector<Json>& objects,
                                          bool dry_run, int concurrency, const std::string& change);

// The client for the kubeconfig options; `namespace_out` gets the context's namespace.
std::unique_ptr<kube::Client> connect(const Context& ctx, const kube::KubeconfigOptions& options, std::string& namespace_out);

} // namespace kf::action
