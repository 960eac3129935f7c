// engine/step.cpp — see step.h.
#include "engine/step.h"

#include <algorithm>
#include <cstring>

#include "engine/op_profile.h"
#include "engine/ops.h"
#include "engine/trainer.h"

namespace lethe {

namespace {
constexpr size_t kAlign = 256;
size_t align_up(size_t b) { return (b + kAlign - 1) / kAlign * kAlign; }
}  // namespace

StepRunner::StepRunner(Ctx& ctx, Model& model, const ParamStore& ps, Adam& adam, ModelData& data,
                       const io::Interactions& rows, const StepOptions& o)
    : ctx_(ctx),
      model_(model),
      ps_(ps),
      adam_(adam),
      data_(data),
      rows_(rows),
      opt_(o),
      n_(rows.size()),
      tape_(ctx, ps),
      grads_(ps) {
  LETHE_CHECK(n_ > 0, "train: no training rows");
  LETHE_CHECK(o.batch_size >= 1, "train: batch size must be >= 1");
  batch_ = std::min<int64_t>(o.batch_size, n_);
  nb_ = (n_ + o.batch_size - 1) / o.batch_size;
  LETHE_CHECK(nb_ <= 0xFFFFFFFFLL, "train: more than 2^32 steps in an epoch");
  users_off_ = align_up(sizeof(StepState));
  items_off_ = users_off_ + align_up(static_cast<size_t>(n_) * sizeof(int32_t));
  bytes_ = items_off_ + static_cast<size_t>(n_) * sizeof(int32_t);
  host_ = HostBuffer(ctx, bytes_);
  dev_ = Buffer(ctx, bytes_);
  batch_buf_ = Buffer(ctx, 2 * static_cast<size_t>(batch_) * sizeof(int32_t));
  state_ = static_cast<StepState*>(dev_.data());
  fused_.m = adam.m();
  fused_.v = adam.v();
  if (o.graphs) {
    if (!ctx.is_cuda())
      graphs_reason_ = "CUDA graphs need the CUDA backend: steps run one op at a time";
    else if (!model.step_invariant_forward())
      graphs_reason_ = model.name() + " draws new random numbers at every step in its forward (dropout, sampled "
                       "attention): its steps run one op at a time";
    else
      graphs_ = true;
  }
}

int64_t StepRunner::generation() const { return tape_.arena_blocks() + ctx_.scratch().block_mallocs(); }

int64_t StepRunner::graph_kernel_nodes(bool last_batch) const {
  const GraphSlot& s = last_batch ? last_ : full_;
  return s.graph.valid() ? s.graph.kernel_nodes() : -1;
}

void StepRunner::begin_epoch(uint32_t epoch) {
  LETHE_CHECK(!in_epoch_, "StepRunner::begin_epoch: the previous epoch was not ended");
  const std::vector<int64_t> perm = epoch_permutation(n_, opt_.seed, epoch);
  char* h = static_cast<char*>(host_.data());
  auto* hu = reinterpret_cast<int32_t*>(h + users_off_);
  auto* hi = reinterpret_cast<int32_t*>(h + items_off_);
  for (int64_t k = 0; k < n_; ++k) {
    hu[k] = rows_.user[perm[k]];
    hi[k] = rows_.item[perm[k]];
  }
  StepState st;
  st.epoch = epoch;
  st.next_step = 0;
  st.adam_t = adam_.steps();
  st.lr = adam_.lr();
  std::memcpy(h, &st, sizeof st);
  // The host buffer is rewritten only here, and end_epoch's read has waited for every step of the
  // previous epoch — this copy's readers — so one buffer serves every epoch.
  dev_.upload_async(host_, bytes_);
  prof::transfer(prof::Transfer::Upload, static_cast<double>(bytes_));
  epoch_ = epoch;
  next_ = 0;
  in_epoch_ = true;
}

void StepRunner::record(int64_t count) {
  tape_.clear();
  const Device dev = ctx_.device();
  auto* bu = static_cast<int32_t*>(batch_buf_.data());
  const IdxTensor users{bu, count, dev}, items{bu + batch_, count, dev};
  const char* d = static_cast<const char*>(dev_.data());
  const IdxTensor all_users{const_cast<int32_t*>(reinterpret_cast<const int32_t*>(d + users_off_)), n_, dev};
  const IdxTensor all_items{const_cast<int32_t*>(reinterpret_cast<const int32_t*>(d + items_off_)), n_, dev};
  const AdamConfig& ac = adam_.config();
  ops::step_begin(ctx_, state_, ac.beta1, ac.beta2, all_users, all_items, opt_.batch_size, users, items);
  Batch b;
  b.u = users;
  b.p = items;
  b.n = tape_.alloc_idx(count);
  if (model_.negatives_reject_positives())
    ops::sample_negatives_at(ctx_, opt_.seed, state_, b.u, data_.pool, data_.train_mask.view(), b.n);
  else  // uniform over all items: the full item range as the pool, nothing excluded
    ops::sample_negatives_at(ctx_, opt_.seed, state_, b.u, data_.all_items, data_.no_items.view(), b.n);
  model_.forward(tape_, true, epoch_, static_cast<uint32_t>(next_));
  const LossTerms L = model_.loss(tape_, b, RankSpec{});
  grads_.zero(ctx_);
  AdamHp hp = adam_.hp();
  hp.step = 1;  // (not read: t comes from the state)
  const bool fuse = opt_.fused_adam;
  fused_.state = state_;
  fused_.hp = hp;
  tape_.backward(L.total, grads_, 1.0, fuse ? &fused_ : nullptr);
  // Adam over every parameter the backward did not update, in runs of consecutive tensors.
  const int np = ps_.count();
  fused_count_ = 0;
  for (int a = 0; fuse && a < np; ++a) fused_count_ += fused_.done[static_cast<size_t>(a)] ? 1 : 0;
  for (int a = 0; a < np;) {
    if (fuse && fused_.done[static_cast<size_t>(a)]) {
      ++a;
      continue;
    }
    int e = a;
    while (e + 1 < np && !(fuse && fused_.done[static_cast<size_t>(e) + 1])) ++e;
    const Tensor g = grads_.range(a, e);
    const int64_t lo = ps_.offsets()[static_cast<size_t>(a)];
    ops::adam_step_at(ctx_, ps_.slab().slice_rows(lo, g.rows), g, adam_.m().slice_rows(lo, g.rows),
                      adam_.v().slice_rows(lo, g.rows), state_, hp);
    a = e + 1;
  }
  const auto val = [&](Var v) { return v.valid() ? tape_.value(v) : Tensor(); };
  ops::accumulate_losses(ctx_, state_, val(L.total), val(L.rank), val(L.reg), val(L.aux));
}

void StepRunner::step() {
  LETHE_CHECK(in_epoch_, "StepRunner::step outside an epoch (begin_epoch first)");
  LETHE_CHECK(next_ < nb_, "StepRunner::step: the epoch has only " + std::to_string(nb_) + " steps");
  const int64_t count = std::min(opt_.batch_size, n_ - next_ * opt_.batch_size);
  if (!graphs_) {
    record(count);
  } else {
    GraphSlot& s = count == opt_.batch_size ? full_ : last_;
    const int64_t gen = generation();
    if (s.graph.valid() && s.count == count && s.generation == gen) {
      s.graph.launch(ctx_.gpu());
      ++replays_;
    } else if (s.warm_generation == gen) {
      // An eager step of this size has run since the arenas last moved, without moving them:
      // the addresses a capture records stay valid for every replay.
      s.graph = cuda::Graph();
      cuda::begin_capture(ctx_.gpu());
      try {
        record(count);
      } catch (...) {
        try {
          (void)cuda::end_capture(ctx_.gpu());
        } catch (...) {
        }
        throw;
      }
      s.graph = cuda::end_capture(ctx_.gpu());
      s.count = count;
      s.generation = gen;
      LETHE_CHECK(generation() == gen, "StepRunner: the arenas moved while a step was captured");
      ++captures_;
      s.graph.launch(ctx_.gpu());
      ++replays_;
    } else {
      record(count);
      const int64_t after = generation();
      s.warm_generation = after == gen ? after : -2;
    }
  }
  adam_.count_step();
  ++next_;
}

EpochLoss StepRunner::end_epoch() {
  LETHE_CHECK(in_epoch_, "StepRunner::end_epoch outside an epoch");
  in_epoch_ = false;
  StepState st;
  dev_.download(&st, sizeof st);  // waits for the epoch's steps: the one synchronisation
  prof::transfer(prof::Transfer::HostRead, sizeof st);
  LETHE_CHECK(st.steps == next_ && st.adam_t == adam_.steps(),
              "StepRunner: the device ran " + std::to_string(st.steps) + " steps (Adam's t " +
                  std::to_string(st.adam_t) + ") where the host issued " + std::to_string(next_) + " (t " +
                  std::to_string(adam_.steps()) + ")");
  EpochLoss r;
  r.steps = st.steps;
  r.bad_step = st.bad_step;
  const double inv = st.steps > 0 ? 1.0 / static_cast<double>(st.steps) : 0.0;
  r.total = st.loss[0] * inv;
  r.rank = st.loss[1] * inv;
  r.reg = st.loss[2] * inv;
  r.aux = st.loss[3] * inv;
  return r;
}

}  // namespace lethe
