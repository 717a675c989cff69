// kf logs of a local Workflow: its pods' logs (stdout, then stderr), each
// line prefixed with the node's name as `argo logs` does (unless there is
// only one), or one node's (--node) as it is; -f follows them until the
// workflow ends.
#include <fstream>
#include <map>
#include <thread>

#include "libkf/local/local_target.h"
#include "libkf/local/run_dir.h"
#include "libkf/target/target.h"
#include "libkf/target/workflow_tree.h"
#include "libkf/util/error.h"
#include "libkf/util/json_field.h"
#include "libkf/util/strings.h"

namespace kf::local {

namespace {

struct Stream {
  std::filesystem::path file;
  std::string prefix;
  std::uint64_t offset = 0;
};

// Prints what is new in `s` (whole lines only while `partial` is false).
void pump(Stream& s, bool partial, std::ostream& out) {
  std::ifstream in(s.file, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(s.offset));
  std::string chunk;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) chunk.append(buf, static_cast<std::size_t>(in.gcount()));
  if (!partial) {
    const auto nl = chunk.rfind('\n');
    chunk = nl == std::string::npos ? "" : chunk.substr(0, nl + 1);
  }
  s.offset += chunk.size();
  if (s.prefix.empty()) {
    out << chunk;
  } else {
    for (const auto& line : str::split(chunk, '\n'))
      if (!line.empty()) out << s.prefix << line << '\n';
  }
  out.flush();
}

} // namespace

void workflow_logs(const RunDir& dir, const std::string& run, const target::LogOptions& o, const std::function<std::optional<Json>()>& get,
                   std::ostream& out) {
  if (!o.replica.empty() || !o.trial.empty()) throw UsageError("run " + run + " is a Workflow: name a step with --node, not --replica or --trial");
  std::map<std::string, Stream> streams; // by file name: new pods join as they start
  for (;;) {
    const auto object = get();
    if (!object) throw Error("run " + str::quote(run) + " does not exist");
    const bool finished = target::is_finished(*object);
    const auto pods = target::workflow_pods(*object, o.node, run);
    for (const auto& p : pods) {
      const std::string id = json_text(p, "id");
      const std::string prefix = o.node.empty() && (pods.size() > 1 || streams.size() > 2) ? json_text(p, "displayName") + ": " : "";
      for (const char* ext : {".log", ".err"}) {
        const std::string key = json_text(p, "startedAt") + id + ext;
        if (!streams.count(key)) streams[key] = Stream{dir.logs() / (id + ext), prefix, 0};
      }
    }
    for (auto& [key, s] : streams) pump(s, !o.follow || finished, out);
    if (!o.follow || finished) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

} // namespace kf::local
