# Every third-party dependency comes from Debian's packages
# (scripts/install-deps.sh installs them). Names verified on bookworm.
find_package(CLI11 CONFIG REQUIRED)          # CLI11::CLI11
find_package(yaml-cpp CONFIG REQUIRED)       # yaml-cpp (0.7 has no namespaced target)
find_package(fmt CONFIG REQUIRED)            # fmt::fmt
find_package(nlohmann_json CONFIG REQUIRED)  # nlohmann_json::nlohmann_json
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)   # PkgConfig::LIBGIT2
find_package(Threads REQUIRED)
