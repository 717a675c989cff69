// The BANKING77 files `kf init --example intents` writes into a project
// (third_party/banking77), assembled into kf with .incbin so the binary
// carries them wherever it is copied. KF_BANKING77_DIR is the absolute
// source path (libkf/CMakeLists.txt refuses one with a quote or backslash).
#include "libkf/action/example_data.h"

#define KF_STR2(x) #x
#define KF_STR(x) KF_STR2(x)
#define KF_INCBIN(sym, file)                                                                                          \
  __asm__(".section .rodata.kf_example_data,\"a\",@progbits\n"                                                       \
          ".globl " #sym "_begin\n.hidden " #sym "_begin\n.globl " #sym "_end\n.hidden " #sym "_end\n"             \
          ".balign 16\n" #sym "_begin:\n"                                                                             \
          ".incbin \"" KF_STR(KF_BANKING77_DIR) "/" file "\"\n" #sym "_end:\n"                                       \
          ".previous\n")

KF_INCBIN(kf_b77_train, "train.csv");
KF_INCBIN(kf_b77_test, "test.csv");
KF_INCBIN(kf_b77_license, "LICENSE");
KF_INCBIN(kf_b77_readme, "README.md");

extern "C" const char kf_b77_train_begin[], kf_b77_train_end[], kf_b77_test_begin[], kf_b77_test_end[];
extern "C" const char kf_b77_license_begin[], kf_b77_license_end[], kf_b77_readme_begin[], kf_b77_readme_end[];

namespace kf::action {

const std::vector<ExampleFile>& banking77_files() {
  static const std::vector<ExampleFile> files = {
      {"data/train.csv", {kf_b77_train_begin, static_cast<std::size_t>(kf_b77_train_end - kf_b77_train_begin)}},
      {"data/test.csv", {kf_b77_test_begin, static_cast<std::size_t>(kf_b77_test_end - kf_b77_test_begin)}},
      {"data/LICENSE", {kf_b77_license_begin, static_cast<std::size_t>(kf_b77_license_end - kf_b77_license_begin)}},
      {"data/README.md", {kf_b77_readme_begin, static_cast<std::size_t>(kf_b77_readme_end - kf_b77_readme_begin)}},
  };
  return files;
}

} // namespace kf::action
