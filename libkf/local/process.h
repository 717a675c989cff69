#pragma once
// What a local run's processes start from: the environment and kf's own
// executable. Starting and stopping them is util/subprocess.h's (each
// replica in its own process group, its stdout and stderr appended to its
// log; the supervisor as a daemon).

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kf::local {

// The environment a local replica starts from: what a container would also
// have (PATH, HOME, locale, TMPDIR, USER), not the user's other variables
// (a KF_LR in the user's shell must not change a run).
std::vector<std::pair<std::string, std::string>> base_environment();

// The running executable's path (/proc/self/exe).
std::filesystem::path self_exe();

} // namespace kf::local
