# Every third-party dependency comes from Debian's packages
# (scripts/install-deps.sh installs them). Names verified on bookworm.
find_package(CLI11 CONFIG REQUIRED)          # CLI11::CLI11
find_package(yaml-cpp CONFIG REQUIRED)       # yaml-cpp (0.7 has no namespaced target)
find_package(fmt CONFIG REQUIRED)            # fmt::fmt
find_package(nlohmann_json CONFIG REQUIRED)  # nlohmann_json::nlohmann_json
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)   # PkgConfig::LIBGIT2
find_package(Threads REQUIRED)

# --- kf-trainer (runtime/, issue 5) -----------------------------------------
# CPU path: OpenBLAS for GEMM, Gloo for all-reduce, libcurl for data URLs,
# zlib for gzipped IDX files.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)                  # BLAS::BLAS (libopenblas)
find_package(CURL REQUIRED)                  # CURL::libcurl
find_package(ZLIB REQUIRED)                  # ZLIB::ZLIB
# Gloo (libgloo-dev) ships no CMake config and no pkg-config file.
find_path(GLOO_INCLUDE_DIR gloo/rendezvous/store.h)
find_library(GLOO_LIBRARY gloo)
if(NOT GLOO_INCLUDE_DIR OR NOT GLOO_LIBRARY)
  message(FATAL_ERROR "Gloo not found: install libgloo-dev (scripts/install-deps.sh)")
endif()
add_library(Gloo::gloo UNKNOWN IMPORTED)
set_target_properties(Gloo::gloo PROPERTIES
  IMPORTED_LOCATION ${GLOO_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${GLOO_INCLUDE_DIR}
  INTERFACE_LINK_LIBRARIES Threads::Threads)
# GPU path: optional, built whenever nvcc and NCCL are found. Never with the
# sanitizers (nvcc does not take -fsanitize), never with the "native" arch.
option(KF_CUDA "Build kf-trainer's CUDA/NCCL path when nvcc and NCCL are found" ON)
set(KF_HAVE_CUDA OFF)
if(KF_CUDA AND NOT KF_SANITIZE)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)       # CUDA::cudart CUDA::cublas
    find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
    find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
    if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
      add_library(NCCL::nccl UNKNOWN IMPORTED)
      set_target_properties(NCCL::nccl PROPERTIES
        IMPORTED_LOCATION ${NCCL_LIBRARY} INTERFACE_INCLUDE_DIRECTORIES ${NCCL_INCLUDE_DIR})
      set(KF_HAVE_CUDA ON)
    else()
      message(STATUS "kf-trainer: nvcc found but NCCL not found; building the CPU path only")
    endif()
  endif()
endif()
message(STATUS "kf-trainer: CUDA path ${KF_HAVE_CUDA}")

# --- libkf/metadata: the ML metadata store ------------------------------------
# SQLite (libsqlite3-dev) holds runs, artifacts and metrics; OpenSSL's libcrypto
# (libssl-dev) computes artifact digests (sha256).
find_package(SQLite3 REQUIRED)               # SQLite::SQLite3
find_package(OpenSSL REQUIRED)               # OpenSSL::Crypto
