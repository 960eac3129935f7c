// engine/params.cpp — see params.h.
#include "engine/params.h"

#include <algorithm>
#include <cstring>

#include "engine/ops.h"

namespace lethe {

namespace {
constexpr int64_t kAlignElems = 16;
int64_t align_up(int64_t n) { return (n + kAlignElems - 1) / kAlignElems * kAlignElems; }
}  // namespace

int ParamStore::add(const std::string& name, int64_t rows, int64_t cols, const std::string& branch, int layer,
                    bool trainable) {
  LETHE_CHECK(!finalized_, "ParamStore::add after finalize (" + name + ")");
  LETHE_CHECK(rows > 0 && cols > 0, "parameter " + name + " has an empty shape " + shape_str(rows, cols));
  LETHE_CHECK(find(name) < 0, "parameter name used twice: " + name);
  LETHE_CHECK(!branch.empty(), "parameter " + name + " needs a branch tag");
  ParamInfo p;
  p.name = name;
  p.rows = rows;
  p.cols = cols;
  p.branch = branch;
  p.layer = layer;
  p.trainable = trainable;
  auto it = std::find(branches_.begin(), branches_.end(), branch);
  p.branch_id = static_cast<int>(it - branches_.begin());
  if (it == branches_.end()) branches_.push_back(branch);
  p.offset = total_;
  total_ += align_up(p.numel());
  infos_.push_back(p);
  return static_cast<int>(infos_.size()) - 1;
}

void ParamStore::finalize() {
  LETHE_CHECK(!finalized_, "ParamStore::finalize called twice");
  slab_ = Buffer(*owner_, static_cast<size_t>(total_) * dtype_size(dtype_));
  slab_.zero();
  offsets_.clear();
  for (const auto& p : infos_) offsets_.push_back(p.offset);
  offsets_.push_back(total_);
  dev_offsets_ = Buffer(*owner_, offsets_.size() * sizeof(int64_t));
  dev_offsets_.upload(offsets_.data(), dev_offsets_.bytes());
  finalized_ = true;
}

int64_t ParamStore::trainable_elements() const {
  int64_t n = 0;
  for (const auto& p : infos_)
    if (p.trainable) n += p.numel();
  return n;
}

int ParamStore::find(const std::string& name) const {
  for (size_t i = 0; i < infos_.size(); ++i)
    if (infos_[i].name == name) return static_cast<int>(i);
  return -1;
}

int ParamStore::id(const std::string& name) const {
  const int i = find(name);
  if (i < 0) LETHE_FAIL("no parameter named '" + name + "'");
  return i;
}

Tensor ParamStore::value(int id) const {
  LETHE_CHECK(finalized_, "ParamStore used before finalize");
  const ParamInfo& p = info(id);
  return Tensor(static_cast<char*>(slab_.data()) + static_cast<size_t>(p.offset) * dtype_size(dtype_), dtype_, dev_,
                p.rows, p.cols);
}

Tensor ParamStore::slab() const {
  LETHE_CHECK(finalized_, "ParamStore used before finalize");
  return Tensor(slab_.data(), dtype_, dev_, total_, 1);
}

void ParamStore::set(int id, const std::vector<double>& v) const { value(id).from_host(*owner_, v); }
std::vector<double> ParamStore::get(int id) const { return value(id).to_host(*owner_); }

std::vector<char> ParamStore::slab_bytes() const {
  std::vector<char> b(slab_.bytes());
  slab_.download(b.data(), b.size());
  return b;
}

void ParamStore::set_slab_bytes(const std::vector<char>& b) const {
  LETHE_CHECK(b.size() == slab_.bytes(), "parameter slab size mismatch: " + std::to_string(b.size()) + " bytes given, " +
                                             std::to_string(slab_.bytes()) + " expected");
  const_cast<Buffer&>(slab_).upload(b.data(), b.size());
}

ParamStore ParamStore::clone() const {
  ParamStore o(*owner_, dtype_);
  o.infos_ = infos_;
  o.branches_ = branches_;
  o.total_ = total_;
  if (finalized_) {
    o.finalize();
    o.slab_ = slab_.clone();
  }
  return o;
}

bool ParamStore::same_layout(const ParamStore& o) const {
  if (infos_.size() != o.infos_.size() || total_ != o.total_ || dtype_ != o.dtype_) return false;
  for (size_t i = 0; i < infos_.size(); ++i) {
    const auto &a = infos_[i], &b = o.infos_[i];
    if (a.name != b.name || a.rows != b.rows || a.cols != b.cols || a.offset != b.offset || a.branch != b.branch ||
        a.layer != b.layer || a.trainable != b.trainable)
      return false;
  }
  return true;
}

GradSlab::GradSlab(const ParamStore& ps)
    : infos_(ps.infos()), buf_(ps.ctx(), static_cast<size_t>(ps.numel()) * dtype_size(ps.dtype())) {
  buf_.zero();
  all_ = Tensor(buf_.data(), ps.dtype(), ps.device(), ps.numel(), 1);
  pending_.assign(infos_.size(), 0);
}

Tensor GradSlab::all() const {
  if (npending_ == infos_.size() && npending_ > 0) {  // nothing written since zero(): one fill
    ops::fill(*ctx_, all_, 0.0);
    std::fill(pending_.begin(), pending_.end(), 0);
    npending_ = 0;
  }
  for (size_t i = 0; npending_ > 0 && i < infos_.size(); ++i) flush(i);
  return all_;
}

Tensor GradSlab::view(int id) const {
  const ParamInfo& p = infos_.at(static_cast<size_t>(id));
  flush(static_cast<size_t>(id));
  return Tensor(static_cast<char*>(buf_.data()) + static_cast<size_t>(p.offset) * dtype_size(all_.dtype), all_.dtype,
                all_.device, p.rows, p.cols);
}

Tensor GradSlab::view_first(int id, bool& first) const {
  const size_t i = static_cast<size_t>(id);
  first = pending_.at(i) != 0;
  if (first) {
    pending_[i] = 0;
    --npending_;
  }
  return view(id);
}

void GradSlab::flush(size_t id) const {
  if (!pending_[id]) return;
  pending_[id] = 0;
  --npending_;
  const ParamInfo& p = infos_[id];
  // The tensor's elements (its padding is never written and stays zero).
  const Tensor t(static_cast<char*>(buf_.data()) + static_cast<size_t>(p.offset) * dtype_size(all_.dtype), all_.dtype,
                 all_.device, p.rows, p.cols);
  if (t.numel()) ops::fill(*ctx_, t, 0.0);
}

void GradSlab::zero(Ctx& ctx) const {
  ctx_ = &ctx;
  std::fill(pending_.begin(), pending_.end(), 1);
  npending_ = pending_.size();
}

}  // namespace lethe
