#include "algorithms/device.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "algorithms/impala.h"
#include "core/random.h"
#include "core/unroll.h"

namespace rlfleet {
namespace {

TEST(DeviceTest, ResolvesNames) {
  EXPECT_TRUE(ResolveDevice("cpu").is_cpu());
  EXPECT_EQ(ResolveDevice("auto").is_cuda(), CudaAvailable());
  EXPECT_THROW(ResolveDevice("tpu"), std::invalid_argument);
}

TEST(DeviceTest, CudaWithoutAGpuIsAnErrorNamingIt) {
  if (CudaAvailable()) GTEST_SKIP() << "a CUDA device is present";
  try {
    ResolveDevice("cuda");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cuda"), std::string::npos) << e.what();
  }
}

std::vector<Unroll> RandomUnrolls(int count, int length, int observation_size) {
  Rng rng(11);
  std::vector<Unroll> unrolls(count);
  for (Unroll& u : unrolls) {
    u.Resize(length, observation_size, 1, true);
    for (float& x : u.observations) x = static_cast<float>(rng.Normal());
    for (float& a : u.actions) a = static_cast<float>(rng.UniformInt(2));
    for (float& r : u.rewards) r = static_cast<float>(rng.Uniform(-1, 1));
    for (float& p : u.behaviour_log_probs) p = -0.7f;
    u.terminated[length / 2] = 1;
    u.truncated[length - 1] = 1;
    u.truncation_observations.assign(observation_size, 0.25f);
  }
  return unrolls;
}

ActorCritic SeededModel() {
  torch::manual_seed(5);
  ActorCriticOptions options;
  options.observation_size = 4;
  options.num_actions = 2;
  return ActorCritic(options);
}

TEST(DeviceTest, CpuBatchIsLeftWhereItIs) {
  const ImpalaBatch batch = BatchFromUnrolls(RandomUnrolls(3, 5, 4));
  const ImpalaBatch same = ImpalaBatchToDevice(batch, torch::Device(torch::kCPU));
  EXPECT_TRUE(same.observations.is_same(batch.observations));
}

// The same update on the GPU and on the CPU gives the same losses and parameters.
TEST(DeviceTest, CudaUpdateMatchesCpu) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  const ImpalaBatch batch = BatchFromUnrolls(RandomUnrolls(8, 10, 4));
  Impala on_cpu(SeededModel(), ImpalaOptions{});
  ActorCritic gpu_model = SeededModel();
  gpu_model->to(torch::Device(torch::kCUDA, 0));
  Impala on_gpu(gpu_model, ImpalaOptions{});
  const ImpalaStats cpu_stats = on_cpu.Update(batch);
  const ImpalaStats gpu_stats =
      on_gpu.Update(ImpalaBatchToDevice(batch, torch::Device(torch::kCUDA, 0)));
  EXPECT_NEAR(cpu_stats.total_loss, gpu_stats.total_loss, 1e-4 * std::abs(cpu_stats.total_loss));
  const auto cpu_params = on_cpu.model()->parameters();
  const auto gpu_params = on_gpu.model()->parameters();
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    EXPECT_TRUE(torch::allclose(cpu_params[i], gpu_params[i].cpu(), 1e-4, 1e-5)) << i;
  }
}

}  // namespace
}  // namespace rlfleet
