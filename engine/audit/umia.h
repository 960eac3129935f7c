// engine/audit/umia.h — membership inference at the user level (after Zhang et al., "Membership
// Inference Attacks Against Recommender Systems", CCS 2021), adapted to unlearning: from what a
// recommender shows a user (its top-100 list) and what the user did (its history), can an
// attacker tell whether the user's data trained the model? Asked of θ₀, every method and
// Retrain in the user regime: a good unlearning method leaves its deleted users looking like
// outsiders (docs/AUDITS.md walks through it).
//   Reserved users  two disjoint groups of 10 % of the users with train rows, drawn when the
//                   audit is asked for, whose rows never train θ₀, Retrain or any unlearned
//                   model: V (vectorisation) and O (outsiders). The data everything else sees
//                   is the data set without them (same IDs), so requests select from the rest.
//   Item vectors    v_i = row i of V_r Σ_r^{1/2} of the rank-64 truncated SVD of V's binary
//                   user × item matrix (all of V's rows), scaled by one constant so that their
//                   root-mean-square length over the items V touched is 1.
//   Feature         x_u = (1/|H_u|) Σ_{i∈H_u} v_i − Σ_{r=1}^{100} ((101 − r)/5050) v_{rec_u(r)}:
//                   the user's history centroid minus a rank-weighted centroid of its top-100
//                   (the user's own train items masked; H_u its own train rows).
//   Shadow          the same backbone trained on a random half of the remaining users; its
//                   members (that half) and non-members (the other half) with its lists train
//                   the attack.
//   Attack          an MLP 64→32→8→2 (ReLU, softmax cross-entropy), SGD lr 0.01, momentum 0.9,
//                   20 epochs over mini-batches of kUmiaBatch users, in double on the CPU, on x_u
//                   standardised with the shadow users' per-coordinate mean and sd; a user is
//                   called a member when P(member) ≥ 0.5.
//   Reported        the member rates of the deleted users and of O (the false-positive
//                   reference), and the balanced accuracy of retained users against O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/audit/audit.h"
#include "engine/audit/report.h"
#include "io/dataset.h"

namespace lethe::audit {

constexpr int kUmiaRank = 64;     // item-vector width (the attack's input)
constexpr int kUmiaListK = 100;   // recommendation list length
constexpr int kUmiaBatch = 32;    // attack mini-batch rows (one user per step diverges at lr 0.01, momentum 0.9)

struct UserGroups {
  std::vector<int32_t> vectorisation, outsiders;  // ascending
  std::vector<char> reserved;                     // U flags: in V or O
};
// Two disjoint groups, each round(fraction · candidates) (at least 1) of the users with train
// rows, in the random order of (seed, AuditStage::kGroups): V first, then O. Throws when fewer
// than 3 users have train rows.
UserGroups reserve_user_groups(const io::Dataset& ds, uint64_t seed, double fraction = 0.1);

// The data set restricted to the users with keep[u] != 0: every split loses the other users'
// rows; IDs, n_users, n_items and the features stay.
io::Dataset keep_users(io::Dataset ds, const std::vector<char>& keep);

// Reserves the groups (reserve_user_groups) and removes their rows from ds in place; returns
// the interactions as loaded (every split, no features): the users' histories.
io::Dataset hold_out_user_groups(io::Dataset& ds, uint64_t seed, UserGroups* groups, double fraction = 0.1);

// The item vectors (I × rank, row-major) from the rows (every split) of the users in `group`.
std::vector<double> umia_item_vectors(const io::Dataset& ds, const std::vector<int32_t>& group, int rank, uint64_t seed);

// x_u (dim values) from the user's history items and its list (−1 entries are padding and are
// skipped; rank r of a K-long list weighs (K + 1 − r) / (K(K + 1)/2)).
void umia_feature(const std::vector<int32_t>& history, const int32_t* list, int K, const std::vector<double>& vectors,
                  int dim, double* out);

// The attack network: dims {in, 32, 8, 2}, torch.nn.Linear's initialisation (Philox-keyed).
class UmiaMlp {
 public:
  UmiaMlp(int in, uint64_t seed);
  // Mini-batch SGD with momentum on softmax cross-entropy; label 1 = member. Rows are shuffled
  // each epoch (Philox, keyed by the seed and the epoch). Returns the mean loss over all rows
  // after training.
  double train(const std::vector<double>& X, const std::vector<uint8_t>& y, int epochs = 20, double lr = 0.01,
               double momentum = 0.9, int batch = kUmiaBatch);
  double member_probability(const double* x) const;
  int in() const { return dims_[0]; }

  // The parameters as one vector (W1, b1, W2, b2, W3, b3; W row-major in × out), and the mean
  // cross-entropy over rows and its gradient with respect to them (what train() steps on).
  std::vector<double> params() const;
  void set_params(const std::vector<double>& p);
  double loss(const double* X, const uint8_t* y, size_t n) const;
  std::vector<double> gradient(const double* X, const uint8_t* y, size_t n) const;

 private:
  // Forward of one row: activations of every layer (post-ReLU for the hidden ones, logits last).
  void forward(const double* x, std::vector<std::vector<double>>& act) const;
  std::vector<int> dims_;
  std::vector<std::vector<double>> W_, b_;  // W_[l]: dims[l] × dims[l+1] row-major
  uint64_t seed_;
};

// The trained attack: the item vectors, the users' histories, the input scaler and the network.
struct UmiaAttack {
  std::vector<double> vectors;            // I × kUmiaRank
  std::vector<std::vector<int32_t>> history;  // per user: its own train items (all data)
  std::vector<double> mean, sd;           // per coordinate of x_u, from the shadow's users (empty: none)
  std::unique_ptr<UmiaMlp> mlp;
  int64_t shadow_members = 0, shadow_nonmembers = 0;
  double shadow_train_accuracy = AuditRow::kNaN;  // on its own training rows (a sanity check)
  // The network's input for a user: x_u standardised by mean and sd.
  void input(int32_t user, const int32_t* list, int K, double* out) const;
  std::vector<double> features(const TopLists& lists) const;  // users × kUmiaRank inputs
};

// Builds the attack from a shadow model's top-100 lists (own train items masked) of its members
// and non-members (`shadow_lists` holds both, `member` flags by user).
UmiaAttack build_umia_attack(const io::Dataset& full, const UserGroups& groups, const TopLists& shadow_lists,
                             const std::vector<char>& member, uint64_t seed);

struct UmiaResult {
  double deleted_rate = AuditRow::kNaN, outsider_rate = AuditRow::kNaN, retained_rate = AuditRow::kNaN;
  double bacc = AuditRow::kNaN;  // ½(retained rate + 1 − outsider rate)
  int64_t deleted = 0, outsiders = 0, retained = 0;
};
// The member rates from a model's lists of (at least) the deleted, outsider and retained users.
UmiaResult evaluate_umia(const UmiaAttack& attack, const TopLists& lists, const std::vector<int32_t>& deleted,
                         const std::vector<int32_t>& outsiders, const std::vector<int32_t>& retained);
void put_umia(const UmiaResult& r, AuditRow& row);

}  // namespace lethe::audit
