// The device twins' normalisation kernels, compiled by the host compiler over the emulator.
#include "runtime/cuda/norm_kernels.cu"
