#include "libkf/action/follow.h"

namespace kf::action {

FollowResult follow(target::Target& t, const std::string& run, const FollowOptions& o,
                    const std::function<void(const FollowUpdate&)>& on_update) {
  FollowResult r;
  target::WatchOptions wo;
  wo.timeout = o.timeout;
  wo.keep_going = [&] { return !(o.interrupted && o.interrupted()); };
  t.watch(run, wo, [&](const Json& object) {
    r.object = object;
    const Json details = t.details(run);
    on_update(FollowUpdate{object, details, target::summarize(object)});
    return wo.keep_going();
  });
  if (o.interrupted && o.interrupted()) {
    r.interrupted = true;
    r.exit_code = 130;
    if (o.stop_on_interrupt) {
      const Json details = t.details(run);
      on_update(FollowUpdate{r.object, details, target::summarize(r.object), true});
      t.stop(run);
    }
    return r;
  }
  r.run = t.describe(run).front();
  const std::string state = r.run.value("state", ""); // as kf status says it
  r.exit_code = state == "Succeeded" || state == "Ready" || state == "Complete" || state == "Suspended" ? 0 : 1;
  return r;
}

} // namespace kf::action
