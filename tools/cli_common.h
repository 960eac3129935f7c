// tools/cli_common.h — what several subcommands share: every configuration key as a flag,
// building a Config from --config FILE plus flags, device selection, dataset loading, the run
// folder's options (io/run_folder.h) from --resume / --overwrite, and output files that must not
// land inside a run folder.
#pragma once

#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/tensor.h"
#include "io/dataset.h"
#include "io/run_folder.h"
#include "tools/args.h"

namespace lethe::cli {

// Declares --config FILE[,FILE...], --config-dir DIR (MMRec's layered folder) and one --<key>
// per configuration key of the groups the command reads (engine/config.h: config_group), with
// its default and help, under a heading per group — so `--help` lists what the command uses and
// nothing else; the keys in `skip` and those the command declared itself (unlearn's --seed) are
// left out. MMRec's setting names are accepted as flags too (Args::accept_extra).
void add_config_flags(Args& a, const std::vector<std::string>& groups, const std::vector<std::string>& skip = {});
// The command line's settings onto `c`: the MMRec-named flags first (in command-line order; one
// that sets a key the command did not declare is refused), then every --<key> flag given, so a
// Lethe name wins over its MMRec alias. Notes (an MMRec name ignored, ...) go to stderr.
void apply_command_line(Config& c, const Args& a);
// The defaults, then the --config-dir layers and --config files (engine/config.h: load_config),
// then every --<key> flag given; every value checked (validate_config) so that a bad one fails
// before any work. The notes made while loading go to stderr.
Config config_from(const Args& a);
// The --config-dir layers and --config files onto `c` (used by config_from and config_over).
void load_config_files(Config& c, const Args& a);
// --device auto|cpu|cuda (declared by the caller with default "auto").
Device device_from(const Args& a);
// Loads a dataset folder, printing a one-line summary to stderr.
io::Dataset load_data(const std::string& dir);
// The run folder's options for `command` (see io/run_folder.h): --overwrite (a flag) and resume
// as given; refuses --resume together with --overwrite before any work.
io::RunFolderOptions run_options(const Args& a, const std::string& command, bool resume, int argc, char** argv);
// A file output (--json, --topk-out, audit --out, forget --out) must not replace a file of a run
// folder: its finished run would no longer match its manifest. Throws naming the folder.
void check_output_file(const std::string& path, const std::string& option);
// A data set written by `lethe synth` must not land in a run folder either.
void check_not_run_folder(const std::string& dir, const std::string& option);
// Whether two paths name the same file or folder (the same inode when both exist).
bool same_path(const std::string& a, const std::string& b);

}  // namespace lethe::cli
