// kf completion — cli/docgen.cpp (generated from the CLI definition itself)
#include <iostream>

#include "cli/app.h"
#include "cli/docgen.h"

namespace kf::cli {

void add_completion(CLI::App& app, Globals& g) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("completion", "Print a shell completion script: bash, zsh or fish");
  one_of(cmd->add_option("shell", *shell, "bash, zsh or fish")->required(), {"bash", "zsh", "fish"});
  cmd->footer("Examples:\n"
              "  source <(kf completion bash)\n"
              "  kf completion zsh > \"${fpath[1]}/_kf\"\n"
              "  kf completion fish > ~/.config/fish/completions/kf.fish");
  CLI::App* root = &app;
  cmd->callback([&g, shell, root] {
    g.run = [shell, root] {
      if (*shell == "bash") std::cout << docs::bash_completion(*root);
      if (*shell == "zsh") std::cout << docs::zsh_completion(*root);
      if (*shell == "fish") std::cout << docs::fish_completion(*root);
      return 0;
    };
  });
}

} // namespace kf::cli
