// kf-docgen OUTDIR [SRCDIR]: writes OUTDIR/completions/{kf.bash,_kf,kf.fish}
// and OUTDIR/man/*.1 from kf's CLI definition, with the hand-written sections
// in SRCDIR/man/extra/PAGE.in (SRCDIR defaults to OUTDIR). Run by `cmake --build --target docs`
// to refresh the checked-in copies; tests compare them with a fresh run.
#include <filesystem>
#include <iostream>

#include "cli/app.h"
#include "cli/docgen.h"
#include "libkf/util/error.h"
#include "libkf/util/fs.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::cerr << "usage: kf-docgen OUTDIR [SRCDIR]\n";
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
    const std::filesystem::path src = argc == 3 ? argv[2] : argv[1];
    kf::cli::docs::ManExtras extras;
    std::error_code ec;
    if (std::filesystem::is_directory(src / "man" / "extra", ec))
      for (const auto& e : std::filesystem::directory_iterator(src / "man" / "extra"))
        if (e.path().extension() == ".in") extras[e.path().stem().string()] = kf::fs::read_file(e.path());
    for (const auto& [name, text] : kf::cli::docs::man_pages(*app, extras)) kf::fs::write_file_atomic(out / "man" / name, text);
  } catch (const std::exception& e) {
    std::cerr << "kf-docgen: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
