#pragma once
// An in-memory Target for tests of what is built over the interface (the
// follow engine, the verbs): runs are objects whose status and details a
// test sets from any thread; watch() wakes on each change.

#include <condition_variable>
#include <map>
#include <mutex>

#include "libkf/target/target.h"

namespace kf::target {

class FakeTarget final : public Target {
public:
  explicit FakeTarget(Traits traits = {}, std::vector<std::string> kinds = {}) : m_traits(traits), m_kinds(std::move(kinds)) {}

  // What a test drives.
  void set_status(const std::string& run, const Json& status);
  void set_details(const std::string& run, const Json& details);
  // Lines describe() gives a failed run as its failing replica's log tail.
  void set_log_tail(const std::string& run, const std::string& replica, std::vector<std::string> lines);
  std::vector<std::string> stopped() const;

  std::string name() const override { return "fake"; }
  Submitted submit(const Json& object, const SubmitOptions& options) override;
  std::optional<Json> get(const std::string& run) const override;
  std::vector<std::string> list() const override;
  std::string resolve(const std::string& run) const override;
  Traits traits() const override { return m_traits; }
  std::vector<std::string> kinds() const override { return m_kinds; }
  void watch(const std::string& run, const WatchOptions& options, const std::function<bool(const Json&)>& on_change) const override;
  void watch_runs(const std::function<bool()>& on_event, const std::function<bool()>& keep_going) const override;
  Json details(const std::string& run) const override;
  std::vector<Json> describe(const std::string& run) const override;
  void logs(const std::string& run, const LogOptions& options, std::ostream& out) const override;
  bool stop(const std::string& run) override;
  bool remove(const std::string& run) override;

private:
  struct Run {
    Json object;
    Json details = Json::object();
    std::string failed_replica;
    std::vector<std::string> tail;
    long version = 0;
  };
  Traits m_traits;
  std::vector<std::string> m_kinds;
  mutable std::mutex m_mu;
  mutable std::condition_variable m_changed;
  std::map<std::string, Run> m_runs;
  std::vector<std::string> m_order; // submission order
  std::vector<std::string> m_stopped;
};

} // namespace kf::target
