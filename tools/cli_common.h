// tools/cli_common.h — what several subcommands share: every configuration key as a flag,
// building a Config from --config FILE plus flags, device selection, dataset loading.
#pragma once

#include <string>

#include "engine/config.h"
#include "engine/tensor.h"
#include "io/dataset.h"
#include "tools/args.h"

namespace lethe::cli {

// Declares --config FILE[,FILE...], --config-dir DIR (MMRec's layered folder) and one --<key>
// per configuration key (engine/config.cpp), with its default and help, so `--help` lists every
// setting.
void add_config_flags(Args& a);
// The defaults, then the --config-dir layers and --config files (engine/config.h: load_config),
// then every --<key> flag given. The notes made while loading go to stderr.
Config config_from(const Args& a);
// The --config-dir layers and --config files onto `c` (used by config_from and config_over).
void load_config_files(Config& c, const Args& a);
// --device auto|cpu|cuda (declared by the caller with default "auto").
Device device_from(const Args& a);
// Loads a dataset folder, printing a one-line summary to stderr.
io::Dataset load_data(const std::string& dir);
// The run folder: created if missing; refused if it holds a previous run unless `overwrite`.
void prepare_out_dir(const std::string& dir, bool overwrite, const std::string& marker_file);

}  // namespace lethe::cli
