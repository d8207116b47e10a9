#include "algorithms/adam_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>
#include <string>

namespace rlfleet {
namespace {

// A small model and its Adam optimiser after `steps` updates on a fixed regression problem;
// torch::manual_seed(seed) before construction fixes the weights.
struct Trained {
  torch::nn::Sequential model{torch::nn::Linear(3, 4), torch::nn::Tanh(), torch::nn::Linear(4, 1)};
  torch::optim::Adam adam{model->parameters(), torch::optim::AdamOptions(0.01)};
  void Train(int steps) {
    const torch::Tensor x = torch::arange(12, torch::kFloat).reshape({4, 3}) / 12;
    const torch::Tensor y = torch::tensor({{0.5f}, {-0.5f}, {1.0f}, {0.0f}});
    for (int i = 0; i < steps; ++i) {
      adam.zero_grad();
      (model->forward(x) - y).pow(2).mean().backward();
      adam.step();
    }
  }
};

void CopyParameters(const Trained& from, Trained* to) {
  torch::NoGradGuard no_grad;
  const auto source = from.model->parameters();
  const auto target = to->model->parameters();
  for (size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

std::string Bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

std::string StateBytes(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  SaveOptimizerState(optimizer, archive);
  return Bytes(archive);
}

std::string LibTorchBytes(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  return Bytes(archive);
}

TEST(AdamStateTest, EqualStatesGiveEqualBytesWhereLibTorchsOwnSaveDoesNot) {
  torch::manual_seed(5);
  Trained a;
  torch::manual_seed(5);
  Trained b;
  a.Train(3);
  b.Train(3);
  EXPECT_EQ(StateBytes(a.adam), StateBytes(b.adam));
  // LibTorch keys the state by the parameters' addresses, which differ between the two.
  EXPECT_NE(LibTorchBytes(a.adam), LibTorchBytes(b.adam));
  b.Train(1);
  EXPECT_NE(StateBytes(a.adam), StateBytes(b.adam));
}

// Loading the state into a fresh optimiser continues training exactly as the original does;
// an archive in LibTorch's own layout (checkpoints of earlier versions) loads too.
TEST(AdamStateTest, LoadedStateContinuesExactlyAndTheOldLayoutLoads) {
  for (const bool old_layout : {false, true}) {
    torch::manual_seed(9);
    Trained original;
    original.Train(4);
    torch::serialize::OutputArchive saved;
    if (old_layout) {
      original.adam.save(saved);
    } else {
      SaveOptimizerState(original.adam, saved);
    }
    std::stringstream stream;
    saved.save_to(stream);

    torch::manual_seed(9);
    Trained restored;
    CopyParameters(original, &restored);
    torch::serialize::InputArchive loaded;
    loaded.load_from(stream);
    LoadOptimizerState(restored.adam, loaded);
    original.Train(3);
    restored.Train(3);
    const auto a = original.model->parameters();
    const auto b = restored.model->parameters();
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i << (old_layout ? " (old)" : "");
    }
  }
}

// Without the optimiser's state the same parameters continue differently: the comparison above
// can fail.
TEST(AdamStateTest, TheStateMatters) {
  torch::manual_seed(9);
  Trained original;
  original.Train(4);
  torch::manual_seed(9);
  Trained stateless;
  CopyParameters(original, &stateless);
  original.Train(3);
  stateless.Train(3);
  EXPECT_FALSE(torch::equal(original.model->parameters()[0], stateless.model->parameters()[0]));
}

}  // namespace
}  // namespace rlfleet
