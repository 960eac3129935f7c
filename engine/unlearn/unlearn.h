// engine/unlearn/unlearn.h — unlearning methods behind one interface (docs/MODELS.md, "Unlearning methods"; docs/TRU.md).
// Every method receives the original model θ₀ (a trained checkpoint), the dataset and the
// forget/retain split of a deletion request, and returns a model that should behave as if D_f
// had never been seen:
//   retrain     fresh initialisation, the full training recipe on D_r (the reference);
//   finetune    BPR on D_r only;
//   neggrad     gradient ascent on BPR over D_f (gradient norm clipped);
//   neggrad+    β·L(D_r) − (1−β)·L(D_f);
//   mmrecun     α·mean ℓ_rev(D_f) + β·mean ℓ_fwd(D_r) + the backbone's reg/aux terms, uniform;
//   tru         mmrecun + ranking fusion gate + branch-wise modality scaling + capacity-aware
//               layer isolation + row-granular isolation, each switchable (the project's design,
//               docs/TRU.md);
//   tru-auto, mmrecun-auto  the same with their settings searched on the valid split for the
//               request at hand, without a Retrain (auto.h);
//   multidelete MultiDelete adapted to recommenders: modality decoupling on D_f, multimodal and
//               unimodal knowledge retention against a frozen θ₀, each term switchable;
//   scalegun    lazy local propagation by forward push, then one damped Newton step (uncertified);
//   scalegun-certified  a logistic head on θ₀'s frozen pair features with certified removal
//               (objective perturbation, Newton removal steps, retrain when the bound passes the
//               budget); only the head is certified.
// docs/BASELINES.md records every choice of the three adaptations.
// Every approximate method first rebuilds the user–item graph from D_r, pairs each forget batch
// with a retain batch of the same size (cycling D_r), uses Adam at the training lr unless
// configured otherwise, and logs per-epoch forget and retain losses.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/context.h"
#include "engine/session.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/json.h"
#include "io/request.h"

namespace lethe {

// TRU's switches (the ablation): all on by default; `--no-gate` etc. turn one off.
struct TruSwitches {
  bool gate = true, scaling = true, isolation = true;
  bool rows = true;  // row-granular isolation (tru.rows)
  bool match = false;  // rank matching replaces the reverse loss and the gate (tru.match)
  bool confine = false;  // interaction requests: only the forget users' rows move (tru.confine)
  bool offset = false;   // ... as an offset on their final embeddings, not their table rows (tru.offset)
};

// The canonical method names: retrain, finetune, neggrad, neggrad+, mmrecun, tru, the TRU
// ablations tru-no-gate, tru-no-scaling, tru-no-isolation, tru-no-rows, tru-no-match,
// tru-no-confine, tru-no-offset, the tuned tru-auto (and its ablations tru-auto-no-gate, ...-no-scaling,
// ...-no-isolation, ...-no-rows, ...-no-match, ...-no-confine, ...-no-offset) and mmrecun-auto, multidelete and its ablations multidelete-no-md, multidelete-no-mkr,
// multidelete-no-ukr, scalegun, scalegun-certified.
bool is_method(const std::string& name);
std::vector<std::string> method_names();

struct UnlearnInput {
  Ctx* ctx = nullptr;
  const io::Dataset* ds = nullptr;
  const io::ForgetSplit* split = nullptr;
  std::string model;               // backbone name
  Config cfg;                      // the original model's configuration (+ unlearning settings)
  const io::Checkpoint* original = nullptr;  // θ₀ (not used by retrain)
  std::string cache_dir;           // kNN cache folder
  uint64_t seed = 1;               // sampling seed of this run (retrain: also its init seed)
  bool progress = false;           // per-epoch lines on stderr
};

// One epoch of an unlearning run, for the log (JSON lines) and the reports.
struct UnlearnEpoch {
  int64_t epoch = 0;
  double forget_loss = 0, retain_loss = 0;  // means over the epoch's batches
  double seconds = 0;
  std::map<std::string, double> branch_scale;  // TRU scaling: c_b after the epoch (EMA)
  double gate_mean = -1;                       // TRU gate: mean g over the epoch's forget pairs
  double match_rank = -1, match_target = -1;   // rank matching: geometric means of D_f's ranks and targets
  int64_t forget_pairs = 0;                    // pairs in the epoch's forget set
  std::map<std::string, double> terms;         // method-specific values (MultiDelete's loss terms, ...)
};

struct UnlearnResult {
  std::string method;
  std::unique_ptr<ModelSession> session;  // the unlearned model; its graph is built from D_r
  double seconds = 0;                     // wall time of the method (from θ₀ to the result)
  int64_t peak_bytes = 0;                 // peak engine memory during the method (host + device)
  std::vector<UnlearnEpoch> log;
  // TRU layer isolation: the chosen layers and every layer's score.
  std::vector<std::string> selected_layers;
  std::map<std::string, double> layer_scores;
  int64_t retrain_epochs = 0;             // retrain only: epochs run (early stopping)
  // What a method reports about its own run (ScaleGUN: pushes, CG iterations; the certified
  // head: ε, δ, retrains, bound and budget), and statements the reports must carry with it.
  std::map<std::string, double> stats;
  std::vector<std::string> notes;
  // tru-auto / mmrecun-auto: the search's trace, one JSON object per line of the run's log
  // (every candidate's settings, every evaluated epoch's signals, every halving decision).
  std::vector<io::Json> trace;
};

// Runs `method` (a canonical name). Throws lethe::Error for an unknown method.
UnlearnResult run_unlearning(const std::string& method, const UnlearnInput& in);

// The ground-truth and masking patterns every audit and retrain share.
// A request that deletes pairs only — no whole user, no whole item (TRU's confinement applies).
inline bool deletes_pairs_only(const io::ForgetSplit& split) {
  return split.deleted_users.empty() && split.deleted_items.empty();
}

struct SplitPatterns {
  graph::HostCsr retain_train;  // D_r (U×I): the mask after unlearning
  graph::HostCsr forget;        // D_f (U×I): forget-efficacy ground truth
  graph::HostCsr full_train;    // D (U×I)
  graph::HostCsr valid, test;   // valid/test without the deleted users' rows (the retain splits)
  std::vector<char> deleted_user;  // U flags
};
SplitPatterns split_patterns(const io::Dataset& ds, const io::ForgetSplit& split);

}  // namespace lethe
