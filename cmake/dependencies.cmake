# Every third-party dependency comes from Debian's packages
# (scripts/install-deps.sh installs them). Names verified on bookworm.
find_package(CLI11 CONFIG REQUIRED)          # CLI11::CLI11
find_package(yaml-cpp CONFIG REQUIRED)       # yaml-cpp (0.7 has no namespaced target)
find_package(fmt CONFIG REQUIRED)            # fmt::fmt
find_package(nlohmann_json CONFIG REQUIRED)  # nlohmann_json::nlohmann_json
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)   # PkgConfig::LIBGIT2
find_package(Threads REQUIRED)
# Eigen 3 (libeigen3-dev, header-only): libkf/tune's Gaussian process and CMA-ES.
find_package(Eigen3 3.3 REQUIRED NO_MODULE)  # Eigen3::Eigen

# kf_yaml / kf_fmt: yaml-cpp and fmt as kf links them. For a fast start the kf
# executable carries its C++ runtime, yaml-cpp and fmt (Debian ships
# libstdc++.a, libyaml-cpp.a and fmt's header-only target), so the loader maps
# and relocates only libc, libm and libz; not with the sanitizers, whose
# runtimes expect the shared C++ library.
set(KF_STATIC_CXX OFF)
if(NOT KF_SANITIZE AND NOT KF_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  find_library(KF_YAML_CPP_STATIC NAMES libyaml-cpp.a)
  if(KF_YAML_CPP_STATIC)
    set(KF_STATIC_CXX ON)
  endif()
endif()
add_library(kf_yaml INTERFACE)
add_library(kf_fmt INTERFACE)
if(KF_STATIC_CXX)
  get_target_property(kf_yaml_includes yaml-cpp INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(kf_yaml SYSTEM INTERFACE ${kf_yaml_includes})
  target_link_libraries(kf_yaml INTERFACE ${KF_YAML_CPP_STATIC})
  target_link_libraries(kf_fmt INTERFACE fmt::fmt-header-only)
else()
  target_link_libraries(kf_yaml INTERFACE yaml-cpp)
  target_link_libraries(kf_fmt INTERFACE fmt::fmt)
endif()
message(STATUS "kf: static C++ runtime, yaml-cpp and fmt: ${KF_STATIC_CXX}")

# kf_re2: RE2, Go's regular expression syntax and semantics (Katib's
# metricsFormat is a Go regexp), in linear time and without recursion: a
# trial's long output line cannot exhaust the controller's stack, as
# std::regex's recursive matcher did. Static beside the static C++ runtime
# (Debian ships libre2.a), else the shared library.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)   # PkgConfig::RE2
add_library(kf_re2 INTERFACE)
find_library(KF_RE2_STATIC NAMES libre2.a)
if(KF_STATIC_CXX AND KF_RE2_STATIC)
  target_include_directories(kf_re2 SYSTEM INTERFACE ${RE2_INCLUDE_DIRS})
  target_link_libraries(kf_re2 INTERFACE ${KF_RE2_STATIC} Threads::Threads)
else()
  target_link_libraries(kf_re2 INTERFACE PkgConfig::RE2)
endif()

# --- kf-trainer (runtime/, issue 5) -----------------------------------------
# CPU path: OpenBLAS for GEMM, Gloo for all-reduce, libcurl for data URLs,
# zlib for gzipped IDX files.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)                  # BLAS::BLAS (libopenblas)
find_package(CURL REQUIRED)                  # CURL::libcurl
find_package(ZLIB REQUIRED)                  # ZLIB::ZLIB
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)   # PkgConfig::UTF8PROC (the text tokenizer)
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

# --- libraries kf opens on first use (libkf/lib/loader.h) -----------------------
# kf calls libcurl, libgit2, SQLite and libcrypto through tables filled with
# dlopen + dlsym on first use, so `kf version` or `kf render` start without
# them and the 35 libraries they bring. The build still links them (headers,
# and the other programs), and the kf executable drops them with --as-needed.
# KF_SONAME_<NAME>: what dlopen asks for (the SONAME of the library built
# against); KF_LAZY_DEB_DEPENDS: the Debian packages holding them, which the
# .deb must name itself since dpkg-shlibdeps only sees linked libraries.
find_program(KF_OBJDUMP NAMES objdump REQUIRED)
find_program(KF_DPKG dpkg)
set(KF_LAZY_DEB_DEPENDS "")
function(kf_lazy_library name file)
  get_filename_component(real "${file}" REALPATH)
  execute_process(COMMAND ${KF_OBJDUMP} -p "${real}" OUTPUT_VARIABLE dump ERROR_QUIET)
  string(REGEX MATCH "SONAME +([^ \n]+)" _ "${dump}")
  if(NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "no SONAME in ${real} (the ${name} library kf loads on first use)")
  endif()
  set(KF_SONAME_${name} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  if(KF_DPKG)
    execute_process(COMMAND ${KF_DPKG} -S "${real}" OUTPUT_VARIABLE owner ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0)
      string(REGEX REPLACE "[:,].*" "" owner "${owner}")
      list(APPEND KF_LAZY_DEB_DEPENDS "${owner}")
      set(KF_LAZY_DEB_DEPENDS "${KF_LAZY_DEB_DEPENDS}" PARENT_SCOPE)
    endif()
  endif()
endfunction()
list(GET CURL_LIBRARIES 0 kf_curl_file)
kf_lazy_library(CURL "${kf_curl_file}")
list(GET SQLite3_LIBRARIES 0 kf_sqlite_file)
kf_lazy_library(SQLITE3 "${kf_sqlite_file}")
kf_lazy_library(CRYPTO "${OPENSSL_CRYPTO_LIBRARY}")
list(FILTER LIBGIT2_LINK_LIBRARIES INCLUDE REGEX "git2")
list(GET LIBGIT2_LINK_LIBRARIES 0 kf_git2_file)
kf_lazy_library(GIT2 "${kf_git2_file}")
message(STATUS "kf loads on first use: ${KF_SONAME_CURL} ${KF_SONAME_GIT2} ${KF_SONAME_SQLITE3} ${KF_SONAME_CRYPTO} (${KF_LAZY_DEB_DEPENDS})")
