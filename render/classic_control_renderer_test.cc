#include "render/classic_control_renderer.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "envs/classic_control/acrobot.h"
#include "envs/classic_control/cartpole.h"
#include "envs/classic_control/mountain_car.h"
#include "envs/classic_control/pendulum.h"
#include "envs/registry.h"
#include "render/renderer.h"

namespace rlfleet {
namespace {

using Rgb = std::array<int, 3>;
constexpr Rgb kWhite = {255, 255, 255};
constexpr Rgb kBlack = {0, 0, 0};
constexpr Rgb kPole = {202, 152, 101};  // CartPole's pole
constexpr Rgb kRod = {204, 77, 77};     // Pendulum's rod
constexpr Rgb kLink = {0, 204, 204};    // Acrobot's links

struct Frame {
  int32_t width, height;
  std::vector<uint8_t> rgb;
  // The pixel at column x, row y (row 0 at the top).
  Rgb At(int x, int y) const {
    const size_t i = (static_cast<size_t>(y) * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

Frame Draw(const Env& env, int32_t width = 0, int32_t height = 0) {
  RenderOptions options;
  options.width = width;
  options.height = height;
  std::unique_ptr<Renderer> renderer = MakeClassicControlRenderer(env, options);
  EXPECT_NE(renderer, nullptr);
  Frame frame{renderer->width(), renderer->height(), {}};
  frame.rgb.resize(static_cast<size_t>(frame.width) * frame.height * 3);
  renderer->Render(frame.rgb.data());
  return frame;
}

// Gymnasium's CartPole screen is 600×400 with 125 px per metre (600 / 4.8), the cart's top
// edge... at y = 100 px from the bottom, centred at 300 + 125·x; the pole (10 px wide, 125 px
// long) starts at the axle 7.5 px above that line and leans by theta clockwise.
TEST(ClassicControlRendererTest, CartPolePutsTheCartAndPoleWhereTheStateSays) {
  CartPoleEnv env;
  env.SetState({1.0, 0.0, 0.0, 0.0});
  Frame frame = Draw(env);
  ASSERT_EQ(frame.width, 600);
  ASSERT_EQ(frame.height, 400);
  // Cart centre x = 425 px; 10 px below the axle line (y = 90 from the bottom: row 310).
  EXPECT_EQ(frame.At(405, 310), kBlack);
  EXPECT_EQ(frame.At(300, 310), kWhite);  // where a cart at x = 0 would be
  // Upright pole: 92.5 px above the axle (y = 200): row 200, column 425.
  EXPECT_EQ(frame.At(425, 200), kPole);
  EXPECT_EQ(frame.At(460, 200), kWhite);

  // Leaning by 0.5 rad: the point 80 px along the pole from the axle (425, 107.5) is at
  // (425 + 80 sin 0.5, 107.5 + 80 cos 0.5) = (463.4, 177.7): row 400 - 177.7 = 222.
  env.SetState({1.0, 0.0, 0.5, 0.0});
  frame = Draw(env);
  EXPECT_EQ(frame.At(463, 222), kPole);
  EXPECT_EQ(frame.At(425, 200), kWhite);

  // At half the size every position halves.
  frame = Draw(env, 300, 200);
  EXPECT_EQ(frame.At(231, 111), kPole);
  EXPECT_EQ(frame.At(202, 155), kBlack);
}

// Pendulum: 500×500, 250/2.2 px per metre, pivot at the centre, θ = 0 upright.
TEST(ClassicControlRendererTest, PendulumPointsTheRodAtTheAngle) {
  PendulumEnv env;
  env.SetState({0.0, 0.0});
  Frame frame = Draw(env);
  ASSERT_EQ(frame.width, 500);
  EXPECT_EQ(frame.At(250, 500 - 330), kRod);  // 80 px above the pivot
  EXPECT_EQ(frame.At(170, 250), kWhite);
  env.SetState({M_PI / 2, 0.0});  // a quarter turn counter-clockwise: pointing left
  frame = Draw(env);
  EXPECT_EQ(frame.At(170, 250), kRod);
  EXPECT_EQ(frame.At(250, 500 - 330), kWhite);
}

// Acrobot hanging down (θ1 = θ2 = 0): both links below the pivot at the centre; the first
// link's midpoint 57 px below it.
TEST(ClassicControlRendererTest, AcrobotHangsDownAtRest) {
  AcrobotEnv env;
  env.SetState({0.0, 0.0, 0.0, 0.0});
  Frame frame = Draw(env);
  EXPECT_EQ(frame.At(250, 250 + 57), kLink);
  EXPECT_EQ(frame.At(250, 250 - 57), kWhite);
  env.SetState({M_PI, 0.0, 0.0, 0.0});  // swung up
  frame = Draw(env);
  EXPECT_EQ(frame.At(250, 250 - 57), kLink);
}

// MountainCar at p = -0.5: the car's centre is 10 px above its base, which sits 10 px above
// the track at ((p + 1.2)·600/1.8, (0.45 sin 3p + 0.55)·600/1.8) = (233.3, 33.7), tilted by
// cos(3p) = 0.0707 rad: (232.6, 53.7) from the bottom left, row 346.
TEST(ClassicControlRendererTest, MountainCarSitsOnTheTrack) {
  MountainCarEnv env;
  env.SetState({-0.5, 0.0});
  Frame frame = Draw(env);
  EXPECT_EQ(frame.At(232, 346), kBlack);
  env.SetState({0.3, 0.0});
  frame = Draw(env);
  EXPECT_EQ(frame.At(232, 346), kWhite);
}

TEST(ClassicControlRendererTest, RegisteredEnvsGetARendererWithGymnasiumsFps) {
  const std::pair<const char*, double> fps[] = {{"CartPole-v1", 50},
                                                {"Acrobot-v1", 15},
                                                {"MountainCar-v0", 30},
                                                {"MountainCarContinuous-v0", 30},
                                                {"Pendulum-v1", 30}};
  for (const auto& [id, expected] : fps) {
    std::unique_ptr<Env> env = MakeEnv(id);
    std::unique_ptr<Renderer> renderer = MakeRenderer(*env, RenderOptions{});
    ASSERT_NE(renderer, nullptr) << id;
    EXPECT_EQ(renderer->fps(), expected) << id;
  }
}

}  // namespace
}  // namespace rlfleet
