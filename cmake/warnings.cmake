# Warnings for kf's own code only: third-party headers come in as SYSTEM
# includes through their imported targets, so they stay quiet.
add_library(kf_warnings INTERFACE)
target_compile_options(kf_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(KF_WERROR)
  target_compile_options(kf_warnings INTERFACE -Werror)
endif()
