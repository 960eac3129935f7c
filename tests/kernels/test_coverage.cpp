// tests/kernels/test_coverage.cpp — every op in the registry has a CPU reference, a CUDA entry
// point, a CUDA-vs-reference test suite (CudaVsRef_<op>) and, when differentiable, a
// finite-difference suite (FiniteDiff_<fd>) in this test binary.
#include <set>
#include <string>

#include "kernels/registry.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

std::set<std::string> registered_suites() {
  std::set<std::string> out;
  auto* ut = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < ut->total_test_suite_count(); ++i) {
    std::string name = ut->GetTestSuite(i)->name();
    const auto slash = name.find('/');  // parameterised: Prefix/Suite
    if (slash != std::string::npos) name = name.substr(slash + 1);
    out.insert(name);
  }
  return out;
}

TEST(Coverage, EveryOpHasReferenceCudaAndTests) {
  const auto suites = registered_suites();
  const auto& ops = op_registry();
  ASSERT_FALSE(ops.empty());
  std::set<std::string> names;
  for (const auto& op : ops) {
    SCOPED_TRACE(op.name);
    EXPECT_TRUE(names.insert(op.name).second) << "op registered twice: " << op.name;
    EXPECT_NE(op.ref, nullptr) << op.name << " has no CPU reference";
    EXPECT_NE(op.cuda, nullptr) << op.name << " has no CUDA version";
    EXPECT_TRUE(suites.count(std::string("CudaVsRef_") + op.name))
        << op.name << " (kernels/" << op.family << ".h) has no CudaVsRef_" << op.name << " test";
    if (op.fd) {
      EXPECT_TRUE(suites.count(std::string("FiniteDiff_") + op.fd))
          << op.name << " has no FiniteDiff_" << op.fd << " test";
    }
  }
}

TEST(Coverage, EveryFamilyHeaderIsRegistered) {
  // A family header added under kernels/ must register its ops; the list mirrors the headers.
  std::set<std::string> fams;
  for (const auto& op : op_registry()) fams.insert(op.family);
  for (const char* f : {"elementwise", "rowops", "gemm", "spmm", "gather", "bpr", "infonce", "reduce", "optim",
                        "topk", "sampling", "batchnorm", "attention", "tur", "edgedrop", "step"})
    EXPECT_TRUE(fams.count(f)) << "kernels/" << f << ".h has no ops in the registry";
}

}  // namespace
}  // namespace lethe
