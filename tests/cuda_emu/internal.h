#pragma once
// What the CUDA emulator's files share: its failures, and the device this
// host thread set. Misuse that a real GPU would punish with a fault or a
// sticky error (a host pointer given to device work, a launch that cannot
// run, a peer that never arrives) stops the process with a message.

#include <string>

namespace kf_cuda_emu {

[[noreturn]] void fail(const std::string& message);

// The device of the last successful cudaSetDevice (0 before any).
int current_device();
// The machine's number of the current device (CUDA_VISIBLE_DEVICES maps them).
int machine_device();

} // namespace kf_cuda_emu
