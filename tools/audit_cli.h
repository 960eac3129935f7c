// tools/audit_cli.h — what `lethe unlearn`, `lethe audit` and `lethe experiment` share: a
// checkpoint's configuration with the command line's settings laid over it, a model loaded
// from a checkpoint onto the right graph (θ₀ on D, an unlearned or retrained model on D_r), a
// request file's content hash, and the command line as one string for the reports.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/checkpointing.h"
#include "engine/config.h"
#include "engine/session.h"
#include "engine/trainer.h"
#include "io/dataset.h"
#include "tools/args.h"

namespace lethe::cli {

// `base` (e.g. a checkpoint's stored configuration), then the --config-dir layers and --config
// files, then the command line's settings (cli_common.h: apply_command_line).
Config config_over(const Config& base, const Args& a);

// A model restored from a checkpoint, with its final embeddings.
struct LoadedModel {
  std::string path;
  ModelCheckpointInfo info;
  std::unique_ptr<ModelSession> session;
  Embeddings emb;
};
// Builds the session on `train` (nullptr: the data set's train split) and restores the
// parameters. A checkpoint made from different data is an error naming both fingerprints.
LoadedModel load_model(Ctx& ctx, const io::Dataset& ds, const std::string& path, const io::Interactions* train,
                       const std::string& cache_dir);

// The 16-hex-digit content hash of a file (io/hash.h): a request's identity in metadata.
std::string file_hash(const std::string& path);

// "lethe <argv...>", arguments with spaces or quotes single-quoted.
std::string command_line(int argc, char** argv);

}  // namespace lethe::cli
