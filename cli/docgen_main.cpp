// kf-docgen OUTDIR: writes OUTDIR/completions/{kf.bash,_kf,kf.fish} and
// OUTDIR/man/*.1 from kf's CLI definition. Run by `cmake --build --target docs`
// to refresh the checked-in copies; tests compare them with a fresh run.
#include <filesystem>
#include <iostream>

#include "cli/app.h"
#include "cli/docgen.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: kf-docgen OUTDIR\n";
    return 2;
  }
  try {
    const std::filesystem::path out = argv[1];
    kf::cli::Globals globals;
    auto app = kf::cli::make_app(globals);
    std::filesystem::create_directories(out / "completions");
    std::filesystem::create_directories(out / "man");
    kf::fs::write_file_atomic(out / "completions" / "kf.bash", kf::cli::docs::bash_completion(*app));
    kf::fs::write_file_atomic(out / "completions" / "_kf", kf::cli::docs::zsh_completion(*app));
    kf::fs::write_file_atomic(out / "completions" / "kf.fish", kf::cli::docs::fish_completion(*app));
    for (const auto& [name, text] : kf::cli::docs::man_pages(*app)) kf::fs::write_file_atomic(out / "man" / name, text);
  } catch (const std::exception& e) {
    std::cerr << "kf-docgen: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
