// The text models' kernels, compiled by the host compiler over the emulator.
#include "runtime/cuda/text_kernels.cu"
