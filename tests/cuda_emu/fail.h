#pragma once
// The CUDA emulator's own failures: misuse that a real GPU would punish with
// a fault or a sticky error (a host pointer given to device work, a launch
// that cannot run) stops the process with a message naming it.

#include <string>

namespace kf_cuda_emu {

[[noreturn]] void fail(const std::string& message);

} // namespace kf_cuda_emu
