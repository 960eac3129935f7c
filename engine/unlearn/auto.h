// engine/unlearn/auto.h — `tru-auto` and `mmrecun-auto`: TRU and MMRecUn with their settings
// chosen for the request at hand, without a Retrain (docs/TRU.md, "Tuning without Retrain").
// What the tuner sees is an UnlearnInput — θ₀, the data, D_f / D_r and the settings — and that
// type has no place for a Retrain; the tuner also drops the test split from its copy of the data
// before anything else, so it reads train and valid rows only. Every candidate is judged by the
// valid-split signals of engine/audit/tuning_signals.h after every epoch.
// The search is successive halving over a few candidate settings (the learning rate and, for TRU,
// whether the gate is on and its λ, whether layer isolation is on and its κ and α, scaling's γ
// and the row weights' power; the number of epochs is what the halving allots): every candidate
// runs `rung_epochs` epochs, the better half (1/eta) goes on for eta times as many, and so on,
// until one candidate is left; a candidate stops as soon as its signals say it forgot (parity and
// membership both hold) and keeps in memory the parameters of its best epoch, which the result is
// rewound to. The search stops early when the best candidate has forgotten within the utility
// floor. When the chosen epoch and its neighbour lie on either side of forget parity, a few
// bisection steps on the line between their parameters refine it (unlearn.auto.refine). The
// result's time includes the whole search; the trace of every candidate's every evaluated epoch,
// every halving decision and every refinement step is in UnlearnResult::trace.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/config.h"
#include "engine/unlearn/unlearn.h"

namespace lethe::unlearn {

// "tru-auto" → "tru", "mmrecun-auto" → "mmrecun", the ablations "tru-auto-no-gate" → "tru-no-gate"
// (likewise scaling, isolation, rows: the same search with that intervention off); "" for a name
// that is not an auto method.
std::string auto_base(const std::string& method);

// One candidate of the search: the settings it changes (key, value as written) on top of the
// run's own settings, and the resulting configuration.
struct AutoCandidate {
  int id = 0;
  std::vector<std::pair<std::string, std::string>> settings;
  Config cfg;
};
// The candidates of a search (unlearn.auto.candidates of them): candidate 0 is `base` itself at
// the centre (geometric mean) of the learning-rate range [lr_low, lr_high] × lr0; the others
// spread each searched setting over its range in a Latin-hypercube design drawn from the
// project's RNG under `seed` (the same seed gives the same candidates).
// lr0: the learning rate `base` resolves to (unlearn.lr, or the training lr when auto).
// pairs_only: the request deletes pairs only (no whole user or item), where TRU's confinement
// applies and the settings it makes moot (isolation's, scaling's) are not searched.
std::vector<AutoCandidate> auto_candidates(const std::string& base_method, const Config& base, double lr0, uint64_t seed,
                                           bool pairs_only = false);

// Runs the search and returns the chosen candidate's model (see above).
UnlearnResult run_auto(const std::string& method, const UnlearnInput& in);

}  // namespace lethe::unlearn
