#include "envs/mujoco/mujoco_env.h"

#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>

namespace rlfleet {
namespace {

struct MjModelDeleter {
  void operator()(const mjModel* model) const { mj_deleteModel(const_cast<mjModel*>(model)); }
};

}  // namespace

std::string MujocoAssetDir() {
  const char* from_env = std::getenv("RLFLEET_MUJOCO_ASSETS");
  if (from_env != nullptr && from_env[0] != '\0') return from_env;
  return RLFLEET_MUJOCO_ASSET_DIR;
}

std::shared_ptr<const mjModel> LoadMujocoModel(const std::string& file_name) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const mjModel>>* cache =
      new std::map<std::string, std::shared_ptr<const mjModel>>();
  const std::string path = MujocoAssetDir() + "/" + file_name;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(path);
  if (it != cache->end()) return it->second;
  char error[1024] = "";
  mjModel* model = mj_loadXML(path.c_str(), nullptr, error, sizeof(error));
  if (model == nullptr) {
    throw std::runtime_error("cannot load MuJoCo model '" + path + "': " + error +
                             " (set RLFLEET_MUJOCO_ASSETS to the assets directory)");
  }
  std::shared_ptr<const mjModel> shared(model, MjModelDeleter());
  cache->emplace(path, shared);
  return shared;
}

EnvSpec MujocoSpec(const std::string& id, const std::string& model_file, int32_t observation_size,
                   int32_t max_episode_steps) {
  const std::shared_ptr<const mjModel> model = LoadMujocoModel(model_file);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  EnvSpec spec;
  spec.id = id;
  spec.observation_size = observation_size;
  spec.observation_low.assign(observation_size, -kInf);
  spec.observation_high.assign(observation_size, kInf);
  spec.discrete_actions = false;
  spec.num_actions = 0;
  spec.action_size = model->nu;
  for (int i = 0; i < model->nu; ++i) {
    spec.action_low.push_back(static_cast<float>(model->actuator_ctrlrange[2 * i]));
    spec.action_high.push_back(static_cast<float>(model->actuator_ctrlrange[2 * i + 1]));
  }
  spec.max_episode_steps = max_episode_steps;
  return spec;
}

MujocoEnv::MujocoEnv(const std::string& model_file, int frame_skip, EnvSpec spec)
    : spec_(std::move(spec)),
      model_(LoadMujocoModel(model_file)),
      data_(mj_makeData(model_.get())),
      frame_skip_(frame_skip) {
  if (!data_) throw std::runtime_error("mj_makeData failed for '" + model_file + "'");
  mj_forward(model_.get(), data_.get());
}

void MujocoEnv::Reset(float* observation) {
  mj_resetData(model_.get(), data_.get());
  ResetModel();
  mj_forward(model_.get(), data_.get());
  stepped_ = false;
  WriteObservation(observation);
}

void MujocoEnv::SetState(const double* qpos, const double* qvel) {
  mju_copy(data_->qpos, qpos, model_->nq);
  mju_copy(data_->qvel, qvel, model_->nv);
  mj_forward(model_.get(), data_.get());
}

void MujocoEnv::DoSimulation(const float* action) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  for (int i = 0; i < m->nu; ++i) d->ctrl[i] = action[i];
  for (int i = 0; i < frame_skip_; ++i) mj_step(m, d);
  if (post_constraint_) mj_rnePostConstraint(m, d);
}

void MujocoEnv::AddResetNoise(double scale, bool normal_qvel) {
  mjData* d = data_.get();
  for (int i = 0; i < model_->nq; ++i) d->qpos[i] += rng_.Uniform(-scale, scale);
  for (int i = 0; i < model_->nv; ++i) {
    d->qvel[i] += normal_qvel ? scale * rng_.Normal() : rng_.Uniform(-scale, scale);
  }
}

double MujocoEnv::SquaredActionNorm(const float* action) const {
  double sum = 0.0;
  for (int i = 0; i < model_->nu; ++i) sum += static_cast<double>(action[i]) * action[i];
  return sum;
}

void MujocoEnv::DeclareRewardTerms(std::initializer_list<const char*> names) {
  reward_terms_.clear();
  for (const char* name : names) reward_terms_.emplace_back(name, 0.0);
}

int MujocoEnv::ObjectId(int type, const char* name) const {
  const int id = mj_name2id(model_.get(), type, name);
  if (id < 0) throw std::runtime_error(std::string("MuJoCo model has no object '") + name + "'");
  return id;
}

}  // namespace rlfleet
