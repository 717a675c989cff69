// The GPU engine's kernels, compiled by the host compiler over the emulator.
#include "runtime/cuda/kernels.cu"
