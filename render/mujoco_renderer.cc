#include "render/mujoco_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace rlfleet {
namespace {

constexpr double kFollow = std::numeric_limits<double>::quiet_NaN();

struct NamedCamera {
  const char* env_id;
  MujocoCamera camera;
};

// Gymnasium's DEFAULT_CAMERA_CONFIG of each v4 task (trackbodyid, distance, lookat height,
// elevation). Where it names no body (HalfCheetah, Ant, Swimmer), the body that the original
// models' "track" camera follows (the torso); where it gives no elevation for those, -20° as
// the other locomotion tasks (Swimmer: its track camera's -45°, at that camera's distance).
constexpr NamedCamera kCameras[] = {
    {"HalfCheetah-v4", {"torso", 4.0, -20.0, kFollow}},
    {"Ant-v4", {"torso", 4.0, -20.0, kFollow}},
    {"Hopper-v4", {"thigh", 3.0, -20.0, 1.15}},
    {"Walker2d-v4", {"right_thigh", 4.0, -20.0, 1.15}},
    {"Humanoid-v4", {"torso", 4.0, -20.0, 2.0}},
    {"Swimmer-v4", {"head_segment", 4.24, -45.0, kFollow}},
    {"InvertedPendulum-v4", {nullptr, 2.04, -45.0, kFollow}},
    {"InvertedDoublePendulum-v4", {nullptr, 4.1225, -45.0, 0.1225}},
    {"Reacher-v4", {nullptr, 0.0, -45.0, kFollow}},
};

// MuJoCo reports fatal errors through mju_user_error and exits when it returns; during
// context creation (where a missing GL function is such an error) it throws instead.
std::mutex error_mutex;
thread_local bool throw_on_error = false;
void ThrowError(const char* message) {
  if (throw_on_error) throw std::runtime_error(std::string("MuJoCo renderer: ") + message);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  return values[mid];
}

}  // namespace

MujocoCamera MujocoCameraFor(const std::string& env_id) {
  for (const NamedCamera& c : kCameras) {
    if (env_id == c.env_id) return c.camera;
  }
  throw std::invalid_argument("no MuJoCo camera for '" + env_id + "'");
}

MujocoRenderer::MujocoRenderer(const MujocoEnv& env, const MujocoCamera& camera,
                               const RenderOptions& options)
    : env_(env),
      width_(options.width > 0 ? options.width : kMujocoDefaultFrameSize),
      height_(options.height > 0 ? options.height : kMujocoDefaultFrameSize),
      lookat_z_(camera.lookat_z) {
  options.Validate();
  gl_ = GlContext::Create();
  model_.reset(mj_copyModel(nullptr, env.model()));
  if (model_ == nullptr) throw std::runtime_error("mj_copyModel failed");
  model_->vis.global.offwidth = width_;
  model_->vis.global.offheight = height_;
  model_->vis.quality.offsamples = options.multisamples;

  mjv_defaultScene(&scene_);
  mjv_defaultOption(&option_);
  mjv_defaultCamera(&camera_);
  mjr_defaultContext(&context_);
  mjv_makeScene(model_.get(), &scene_, 2000);
  scene_.flags[mjRND_SHADOW] = options.shadows ? 1 : 0;
  {
    std::lock_guard<std::mutex> lock(error_mutex);
    void (*previous)(const char*) = mju_user_error;
    mju_user_error = &ThrowError;
    throw_on_error = true;
    try {
      mjr_makeContext(model_.get(), &context_, mjFONTSCALE_100);
      mjr_setBuffer(mjFB_OFFSCREEN, &context_);
    } catch (...) {
      throw_on_error = false;
      mju_user_error = previous;
      mjr_freeContext(&context_);
      mjv_freeScene(&scene_);
      throw;
    }
    throw_on_error = false;
    mju_user_error = previous;
  }
  if (context_.offWidth < width_ || context_.offHeight < height_) {
    mjr_freeContext(&context_);
    mjv_freeScene(&scene_);
    throw std::runtime_error("the OpenGL offscreen buffer is smaller than the frame");
  }

  camera_.type = mjCAMERA_FREE;
  camera_.distance = camera.distance > 0 ? camera.distance : model_->stat.extent;
  camera_.elevation = camera.elevation;
  if (camera.track_body != nullptr) {
    track_body_ = mj_name2id(model_.get(), mjOBJ_BODY, camera.track_body);
    if (track_body_ < 0) {
      mjr_freeContext(&context_);
      mjv_freeScene(&scene_);
      throw std::invalid_argument(std::string("no body '") + camera.track_body + "' to track");
    }
  } else {
    // Gymnasium's initial look-at point: the median geom position, here of the reference pose.
    MjDataPtr reference(mj_makeData(model_.get()));
    mj_forward(model_.get(), reference.get());
    for (int axis = 0; axis < 3; ++axis) {
      std::vector<double> values;
      for (int g = 0; g < model_->ngeom; ++g) values.push_back(reference->geom_xpos[3 * g + axis]);
      camera_.lookat[axis] = Median(values);
    }
    if (!std::isnan(lookat_z_)) camera_.lookat[2] = lookat_z_;
  }
  flipped_ = std::make_unique<uint8_t[]>(static_cast<size_t>(width_) * height_ * 3);
}

MujocoRenderer::~MujocoRenderer() {
  gl_->MakeCurrent();
  mjr_freeContext(&context_);
  mjv_freeScene(&scene_);
}

void MujocoRenderer::Render(uint8_t* rgb) {
  gl_->MakeCurrent();
  const mjData* data = env_.data();
  if (track_body_ >= 0) {
    const double* com = data->subtree_com + 3 * track_body_;
    camera_.lookat[0] = com[0];
    camera_.lookat[1] = com[1];
    camera_.lookat[2] = std::isnan(lookat_z_) ? com[2] : lookat_z_;
  }
  // mjv_updateScene takes a non-const mjData but only reads the state (no perturbation).
  mjv_updateScene(model_.get(), const_cast<mjData*>(data), &option_, nullptr, &camera_, mjCAT_ALL,
                  &scene_);
  const mjrRect viewport = {0, 0, width_, height_};
  mjr_render(viewport, &scene_, &context_);
  mjr_readPixels(flipped_.get(), nullptr, viewport, &context_);
  // OpenGL's rows run bottom to top.
  const size_t row = static_cast<size_t>(width_) * 3;
  for (int32_t y = 0; y < height_; ++y) {
    std::memcpy(rgb + row * y, flipped_.get() + row * (height_ - 1 - y), row);
  }
}

}  // namespace rlfleet
