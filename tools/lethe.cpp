// tools/lethe.cpp — the `lethe` program: one binary, subcommands (tools/commands.h).
// Errors from the engine reach the user as one line on stderr and a non-zero exit code. Output is
// flushed line by line wherever it goes.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "io/fs.h"
#include "kernels/common.h"
#include "lethe/version.h"
#include "tools/commands.h"

namespace lethe::cli {
namespace {

const Command kCommands[] = {
    {"info", "build and device information", cmd_info},
    {"synth", "generate a synthetic data set, or synthetic features for a graph", cmd_synth},
    {"forget", "make (or check) a deletion request: user / item / interaction", cmd_forget},
    {"train", "train a backbone (lightgcn, mgcn, miggt) with the MMRec protocol", cmd_train},
    {"eval", "full-ranking evaluation of a checkpoint; top-K export", cmd_eval},
    {"unlearn", "unlearn a deletion request from a checkpoint (retrain, finetune, neggrad(+), mmrecun, tru)",
     cmd_unlearn},
    {"audit", "audit an unlearned model against the original and Retrain (the core metrics)", cmd_audit},
    {"experiment", "train once, unlearn with every method over seeds, audit, tables and trade-off plot",
     cmd_experiment},
    {"calibrate", "calibrate tru-auto's forget target on pair requests from validation requests and their Retrains",
     cmd_calibrate},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: lethe <command> [options]   (lethe <command> --help for its options; lethe --version)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
}

}  // namespace
}  // namespace lethe::cli

int main(int argc, char** argv) {
  using namespace lethe::cli;
  // Line by line even into a pipe or a file (`make demo | tee`, CI logs): stdout is otherwise
  // block-buffered there and a long run shows nothing for minutes. stderr is unbuffered already.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version")) {
    std::printf("lethe %s (commit %s, CUDA backend %s)\n", LETHE_VERSION, LETHE_GIT_COMMIT,
                LETHE_WITH_CUDA ? "compiled in" : "not built");
    return 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const std::exception& e) {
      const std::string msg = lethe::io::printable(e.what());  // no raw control characters from file names
      if (msg.rfind("lethe ", 0) == 0) std::fprintf(stderr, "error: %s\n", msg.c_str());
      else std::fprintf(stderr, "error: lethe %s: %s\n", c.name, msg.c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "lethe: unknown command '%s'\n", lethe::io::printable(argv[1]).c_str());
  usage(stderr);
  return 2;
}
