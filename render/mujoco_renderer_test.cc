#include "render/mujoco_renderer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "envs/registry.h"
#include "envs/time_limit.h"
#include "render/renderer.h"

namespace rlfleet {
namespace {

constexpr const char* kTasks[] = {"InvertedPendulum-v4", "InvertedDoublePendulum-v4",
                                  "HalfCheetah-v4",      "Hopper-v4",
                                  "Walker2d-v4",         "Swimmer-v4",
                                  "Reacher-v4",          "Ant-v4",
                                  "Humanoid-v4"};

size_t DistinctColours(const std::vector<uint8_t>& rgb) {
  std::set<uint32_t> colours;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
    colours.insert(uint32_t{rgb[i]} << 16 | uint32_t{rgb[i + 1]} << 8 | rgb[i + 2]);
  }
  return colours.size();
}

double Variance(const std::vector<uint8_t>& rgb) {
  double sum = 0.0, squares = 0.0;
  for (uint8_t v : rgb) {
    sum += v;
    squares += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(rgb.size());
  return squares / n - (sum / n) * (sum / n);
}

size_t DifferingBytes(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

MujocoEnv& Inner(Env& env) {
  return dynamic_cast<MujocoEnv&>(dynamic_cast<TimeLimit&>(env).inner());
}

class MujocoRendererTest : public ::testing::TestWithParam<const char*> {};

// A frame of every task shows a shaded robot: many colours and a spread of intensities (a
// blank or single-colour frame has 1 colour and variance 0). Moving the robot changes the
// frame, and drawing the same state twice gives the same frame.
TEST_P(MujocoRendererTest, DrawsTheStateAndFollowsIt) {
  std::unique_ptr<Env> env = MakeEnv(GetParam());
  RenderOptions options;
  options.width = 96;
  options.height = 64;
  std::unique_ptr<Renderer> renderer = MakeRenderer(*env, options);
  ASSERT_NE(renderer, nullptr);
  EXPECT_EQ(renderer->width(), 96);
  EXPECT_EQ(renderer->height(), 64);
  MujocoEnv& mujoco = Inner(*env);
  EXPECT_DOUBLE_EQ(renderer->fps(), 1.0 / mujoco.dt());

  std::vector<float> observation(env->spec().observation_size);
  env->Seed(3);
  env->Reset(observation.data());
  std::vector<uint8_t> first(96 * 64 * 3), again(first.size()), moved(first.size());
  renderer->Render(first.data());
  EXPECT_GT(DistinctColours(first), 20u) << GetParam();
  EXPECT_GT(Variance(first), 20.0) << GetParam();
  renderer->Render(again.data());
  EXPECT_EQ(DifferingBytes(first, again), 0u);

  // Bend every hinge and slide joint by 0.5 (rad or m) from the reset state.
  const mjModel* model = mujoco.model();
  std::vector<double> qpos(mujoco.data()->qpos, mujoco.data()->qpos + model->nq);
  std::vector<double> qvel(mujoco.data()->qvel, mujoco.data()->qvel + model->nv);
  for (int j = 0; j < model->njnt; ++j) {
    const int type = model->jnt_type[j];
    if (type == mjJNT_HINGE || type == mjJNT_SLIDE) qpos[model->jnt_qposadr[j]] += 0.5;
  }
  mujoco.SetState(qpos.data(), qvel.data());
  renderer->Render(moved.data());
  EXPECT_GT(DifferingBytes(first, moved), 50u) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Tasks, MujocoRendererTest, ::testing::ValuesIn(kTasks),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// The tracking camera keeps HalfCheetah in view: moved 10 m forward, the drawing is the same
// up to the floor (the robot stays centred), while a task without tracking (Reacher) has no
// body to follow. Checked by comparing the two frames' non-background pixel counts.
TEST(MujocoRendererTrackingTest, HalfCheetahStaysInViewWhenItRunsAway) {
  std::unique_ptr<Env> env = MakeEnv("HalfCheetah-v4");
  RenderOptions options;
  options.width = 64;
  options.height = 64;
  std::unique_ptr<Renderer> renderer = MakeRenderer(*env, options);
  MujocoEnv& mujoco = Inner(*env);
  std::vector<float> observation(env->spec().observation_size);
  env->Reset(observation.data());
  std::vector<double> qpos(mujoco.data()->qpos, mujoco.data()->qpos + mujoco.model()->nq);
  std::vector<double> qvel(mujoco.model()->nv, 0.0);
  for (double& q : qpos) q = 0.0;
  mujoco.SetState(qpos.data(), qvel.data());
  std::vector<uint8_t> home(64 * 64 * 3), away(home.size());
  renderer->Render(home.data());
  qpos[0] = 10.0;  // rootx: 10 m forward
  mujoco.SetState(qpos.data(), qvel.data());
  renderer->Render(away.data());
  // A fixed camera would lose the robot: the frame would become the empty floor.
  EXPECT_LT(DifferingBytes(home, away), home.size() / 5);
}

TEST(RenderOptionsTest, RejectsOddOrNegativeSizes) {
  RenderOptions options;
  options.width = 85;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.width = -2;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.width = 84;
  options.multisamples = 3;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.multisamples = 4;
  EXPECT_NO_THROW(options.Validate());
}

TEST(MujocoCameraTest, FollowsGymnasiumsDefaultCameraConfig) {
  // Gymnasium's DEFAULT_CAMERA_CONFIG values of the v4 tasks.
  EXPECT_DOUBLE_EQ(MujocoCameraFor("Hopper-v4").distance, 3.0);
  EXPECT_DOUBLE_EQ(MujocoCameraFor("Hopper-v4").lookat_z, 1.15);
  EXPECT_DOUBLE_EQ(MujocoCameraFor("Humanoid-v4").lookat_z, 2.0);
  EXPECT_DOUBLE_EQ(MujocoCameraFor("InvertedPendulum-v4").distance, 2.04);
  EXPECT_EQ(MujocoCameraFor("InvertedPendulum-v4").track_body, nullptr);
  EXPECT_THROW(MujocoCameraFor("CartPole-v1"), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
