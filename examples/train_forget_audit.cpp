// examples/train_forget_audit.cpp — the public API end to end on a tiny synthetic dataset:
// write the data, train LightGCN, rank items, delete 5 % of the users, unlearn them two ways
// (MMRecUn and Retrain), and audit MMRecUn against Retrain. Only <lethe/lethe.h> is used.
// Usage: lethe_example WORKDIR   (WORKDIR/data is created; takes a few seconds on one core)
#include <lethe/lethe.h>

#include <cmath>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s WORKDIR\n", argv[0]);
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/data";
  try {
    std::printf("lethe %s (commit %s)\n", lethe::version().c_str(), lethe::git_commit().c_str());
    lethe::SynthOptions so;
    so.users = 300;
    so.items = 150;
    so.interactions = 3000;
    so.modalities = "image:16,text:8";
    lethe::make_synthetic(dir, so);
    const lethe::Dataset data = lethe::Dataset::open(dir);
    std::printf("data %s: %d users, %d items, %lld train rows, fingerprint %s\n", data.name().c_str(), data.n_users(),
                data.n_items(), static_cast<long long>(data.rows("train")), data.fingerprint().c_str());

    lethe::Settings s;
    s.set("epochs", "30").set("lr", "0.01").set("patience", "5");
    const lethe::Recommender model = lethe::Recommender::train(data, "LightGCN", s);  // any case
    const lethe::MetricMap test = model.evaluate("test", {5, 10, 20});
    std::printf("trained %s: test Recall@20 %.4f NDCG@20 %.4f MAP@20 %.4f MRR@20 %.4f over %.0f users\n",
                model.model().c_str(), test.at("recall@20"), test.at("ndcg@20"), test.at("map@20"), test.at("mrr@20"),
                test.at("users"));

    const lethe::TopK top = model.top_k(5, {0, 1});
    for (size_t r = 0; r < top.users.size(); ++r) {
      std::printf("user %d:", top.users[r]);
      for (int k = 0; k < top.k; ++k) std::printf(" %d (%.3f)", top.items[r * top.k + k], top.scores[r * top.k + k]);
      std::printf("\n");
    }

    const lethe::ForgetRequest req = lethe::ForgetRequest::make(data, "user", 0.05, 1);
    std::printf("request: %zu users, %lld train rows to forget\n", req.users().size(),
                static_cast<long long>(req.forget_rows()));
    lethe::Settings us;
    us.set("unlearn.epochs", "5");
    const lethe::Unlearned un = model.unlearn(req, "mmrecun", us);
    const lethe::Unlearned re = model.unlearn(req, "retrain", s);
    const lethe::AuditReport a = model.audit(un.model, req, &re.model);
    std::printf("mmrecun in %.2f s: retain Recall@20 %.4f, forget Recall@20 %.4f, exposure reduction %.1f %%, "
                "overlap@20 with Retrain %.3f\n",
                un.seconds, a.retain.at("recall@20"), a.forget.at("recall@20"), 100 * a.exposure_reduction,
                a.overlap_with_retrain);
    if (!(a.forget.at("recall@20") >= 0) || std::isnan(a.overlap_with_retrain)) return 1;
  } catch (const lethe::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
