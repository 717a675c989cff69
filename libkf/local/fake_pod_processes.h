#pragma once
// A PodProcesses that starts nothing (beside host_processes(), the real one):
// it hands out pids, records each pod's command and what was terminated or
// killed, and the caller ends pods when it chooses with
// WorkflowEngine::exited. For unit tests and fuzz_workflow.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "libkf/local/workflow_engine.h"

namespace kf::local {

class FakePodProcesses final : public PodProcesses {
public:
  pid_t start(const proc::Command& command) override {
    commands[m_next] = command.argv;
    m_started.push_back(m_next);
    return m_next++;
  }
  void terminate(pid_t pid, std::chrono::milliseconds) override { terminated.push_back(pid); }
  void kill(pid_t pid) override { killed.push_back(pid); }

  // The pods started since the last call, in order.
  std::vector<pid_t> take_started() { return std::exchange(m_started, {}); }
  const std::vector<pid_t>& started() const { return m_started; }

  std::map<pid_t, std::vector<std::string>> commands; // every pod's argv, by pid
  std::vector<pid_t> terminated, killed;

private:
  std::vector<pid_t> m_started;
  pid_t m_next = 100000;
};

} // namespace kf::local
