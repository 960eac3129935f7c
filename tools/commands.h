// tools/commands.h — the `lethe` subcommands. Each lives in tools/cmd_<name>.cpp, takes the
// arguments after `lethe` (argv[0] is the subcommand's name), returns the exit code, and lets
// lethe::Error propagate: main() prints it as one line on stderr and exits non-zero.
#pragma once

namespace lethe::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

// Registered in tools/lethe.cpp.
int cmd_synth(int argc, char** argv);
int cmd_forget(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_unlearn(int argc, char** argv);
int cmd_audit(int argc, char** argv);
int cmd_experiment(int argc, char** argv);
int cmd_calibrate(int argc, char** argv);

}  // namespace lethe::cli
