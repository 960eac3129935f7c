// engine/unlearn/approx.h — one run of the reverse-update loop (finetune, neggrad, neggrad+,
// mmrecun, TRU and its ablations; approx.cpp) as an object that advances one epoch at a time.
// run_approximate drives one such run from θ₀ to the end; the tuner (auto.h) keeps several on
// one session, runs each a few epochs at a time, evaluates it after every epoch and rewinds it to
// a kept epoch. A run's parameters live in the shared session while it runs and on the host
// while it is suspended; its optimizer, schedule position and TRU state stay with the run.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/unlearn/unlearn.h"

namespace lethe::unlearn {

// TRU's layer-isolation estimate (mean squared forget and retain gradient norms per layer on
// θ₀): the same for every run on one request with the same batches, whatever its κ and α, so
// runs may share it (the first fills it).
struct FisherSums {
  bool filled = false;
  int batches = 0;
  int64_t batch_size = 0;
  std::map<int, double> forget, retain;
};

// The model `method` produces from θ₀ under in's settings and request, for session_on_retain:
// "" (θ₀'s own) or "<in.model>+offset" (TRU's confined update with tru.offset on).
std::string unlearn_model(const std::string& method, const UnlearnInput& in);

class ApproxRun {
 public:
  // method: finetune, neggrad, neggrad+, mmrecun, tru or a tru-no-* ablation, with its settings in
  // in.cfg; s: a session on D_r (session_on_retain(in)); pats: split_patterns of in's split.
  // s and pats must outlive the run.
  ApproxRun(const std::string& method, const UnlearnInput& in, ModelSession& s, const SplitPatterns& pats);
  ~ApproxRun();
  ApproxRun(const ApproxRun&) = delete;
  ApproxRun& operator=(const ApproxRun&) = delete;

  // From θ₀: restores θ₀ into the session (and θ₀'s Adam moments under unlearn.adam_state =
  // original) and makes TRU's layer choice (from `fisher` when it is filled; an empty one is
  // filled); the choice goes into r.
  void begin(UnlearnResult& r, FisherSums* fisher = nullptr);
  // One more epoch; the session must hold this run's parameters (resume() after another run used it).
  UnlearnEpoch epoch();
  int64_t done() const;     // epochs run so far
  int64_t planned() const;  // unlearn.epochs (finetune: finetune.epochs)
  // unlearn.early_stop's rule after an epoch (never for finetune, false when off).
  bool early_stop_reached();
  // The parameters go to the host and the session is free for another run; resume() brings them
  // back. A suspended run keeps its optimizer state, schedule position and TRU state.
  void suspend();
  void resume();
  // Replaces the parameters in the session (a rewind to a kept epoch); the optimizer state is
  // left as it is, so a rewound run is for reading, not for continuing.
  void set_params(const std::vector<char>& bytes);
  std::vector<char> params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> p_;
};

}  // namespace lethe::unlearn
