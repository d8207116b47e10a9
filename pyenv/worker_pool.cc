#include "pyenv/worker_pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/logging.h"
#include "envs/discrete_action.h"
#include "pyenv/worker_protocol.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the env worker protocol sends little-endian arrays as raw bytes"
#endif

namespace rlfleet {
namespace {

constexpr auto kLivenessInterval = std::chrono::milliseconds(100);
constexpr int kStartAttempts = 3;
constexpr double kCloseGraceSeconds = 1.0;
constexpr size_t kMaxFrames = 16;                           // more than any reply has
constexpr double kFloat32Overflow = 3.4028235677973366e38;  // 2^128 - 2^103 rounds to inf

// Validates before any member (the temporary directory) is made.
const PythonEnvOptions& Validated(const PythonEnvOptions& options) {
  options.Validate();
  return options;
}

std::string PythonDir() {
  if (const char* dir = std::getenv("RLFLEET_PYTHON_DIR"); dir != nullptr && dir[0] != '\0') {
    return dir;
  }
  return RLFLEET_PYTHON_DIR;
}

std::string SecondsText(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", seconds);
  return text;
}

bool AllFinite(const uint8_t* bytes, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, bytes + i * sizeof(float), sizeof(float));
    if (!std::isfinite(v)) return false;
  }
  return true;
}

bool AllFlags(const zmq::message_t& m) {
  const uint8_t* p = m.data<uint8_t>();
  for (size_t i = 0; i < m.size(); ++i) {
    if (p[i] > 1) return false;
  }
  return true;
}

double ReadDouble(const zmq::message_t& m, size_t i) {
  double v;
  std::memcpy(&v, m.data<uint8_t>() + i * sizeof(double), sizeof(double));
  return v;
}

}  // namespace

// One worker slot: envs [first_env, first_env + num_envs), served by successive incarnations
// (process + socket + endpoint); a new incarnation never sees an old one's messages.
struct PythonWorkerPool::Worker {
  int32_t index = 0;
  int32_t first_env = 0;
  int32_t num_envs = 0;
  int64_t incarnation = -1;
  std::string endpoint;
  zmq::socket_t socket;
  SpawnedProcess process;
  std::vector<zmq::message_t> frames;  // the last reply's frames (reused)
  size_t num_frames = 0;
  int64_t reply_errors = 0;     // of the last checked step reply
  int64_t reply_nonfinite = 0;  // of the last checked step reply

  std::string Name() const {
    return "worker " + std::to_string(index) + " (envs " + std::to_string(first_env) + ".." +
           std::to_string(first_env + num_envs - 1) + ")";
  }
};

PythonWorkerPool::Clock::time_point PythonWorkerPool::DeadlineAfter(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

PythonWorkerPool::PythonWorkerPool(const PythonEnvOptions& options)
    : options_(Validated(options)), context_(1), dir_("rlfleet-pyenv") {
  kwargs_ = nlohmann::json::parse(options_.kwargs_json);
  description_ =
      "env.python '" + options_.callable + "' (interpreter " + options_.interpreter + ")";
  worker_script_ = PythonDir() + "/rlfleet_env_worker.py";
  struct stat st;
  if (stat(worker_script_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw std::runtime_error(description_ + ": the worker script " + worker_script_ +
                             " does not exist (RLFLEET_PYTHON_DIR names its folder)");
  }
  spec_.id = options_.env_id.empty() ? options_.callable : options_.env_id;
  const int32_t n = options_.num_envs, w_count = options_.num_workers;
  std::vector<int32_t> ids;
  for (int32_t w = 0; w < w_count; ++w) {
    auto worker = std::make_unique<Worker>();
    worker->index = w;
    worker->first_env = static_cast<int32_t>(int64_t{w} * n / w_count);
    worker->num_envs = static_cast<int32_t>(int64_t{w + 1} * n / w_count) - worker->first_env;
    workers_.push_back(std::move(worker));
    ids.push_back(w);
  }
  const std::vector<std::string> errors = StartWorkers(ids);
  for (int32_t w = 0; w < w_count; ++w) {
    if (!errors[w].empty()) {
      throw std::runtime_error(description_ + ": " +
                               (w_count > 1 ? workers_[w]->Name() + ": " : std::string()) +
                               errors[w]);
    }
  }
}

PythonWorkerPool::~PythonWorkerPool() {
  for (auto& w : workers_) {
    if (!w->process.running()) continue;
    try {
      w->socket.send(zmq::buffer(kCloseRequest, std::strlen(kCloseRequest)),
                     zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
      // Killed below.
    }
  }
  const auto deadline = DeadlineAfter(kCloseGraceSeconds);
  for (auto& w : workers_) {
    const double left = std::chrono::duration<double>(deadline - Clock::now()).count();
    w->process.WaitForExit(left);
  }
  workers_.clear();  // kills and reaps what is left, closes the sockets
}

void PythonWorkerPool::CheckUsable() const {
  if (!broken_.empty()) throw std::runtime_error(description_ + " cannot be used: " + broken_);
}

void PythonWorkerPool::StopWorker(Worker& w) {
  w.process.Kill();
  if (w.socket.handle() != nullptr) w.socket.close();
}

std::vector<std::string> PythonWorkerPool::StartWorkers(const std::vector<int32_t>& ids) {
  std::vector<std::string> errors(workers_.size());
  std::vector<Outcome> outcomes(workers_.size());
  const auto deadline = DeadlineAfter(options_.start_timeout_seconds);
  std::vector<int32_t> started;
  for (int32_t id : ids) {
    Worker& w = *workers_[id];
    StopWorker(w);
    ++w.incarnation;
    w.endpoint = "ipc://" + dir_.path() + "/w" + std::to_string(w.index) + "-" +
                 std::to_string(w.incarnation);
    try {
      w.socket = zmq::socket_t(context_, zmq::socket_type::pair);
      w.socket.set(zmq::sockopt::linger, 0);
      w.socket.bind(w.endpoint);
    } catch (const zmq::error_t& e) {
      errors[id] = "cannot bind " + w.endpoint + ": " + e.what();
      continue;
    }
    try {
      w.process = SpawnedProcess::Spawn({options_.interpreter, worker_script_, "--endpoint",
                                         w.endpoint, "--parent-pid", std::to_string(getpid())});
    } catch (const std::runtime_error& e) {
      errors[id] = std::string("cannot start the interpreter: ") + e.what();
      continue;
    }
    started.push_back(id);
  }
  for (int32_t id : started) {
    Worker& w = *workers_[id];
    InitRequestFields init;
    init.callable = options_.callable;
    init.kwargs = kwargs_;
    init.python_path = options_.python_path;
    init.num_envs = w.num_envs;
    init.autoreset = options_.autoreset;
    init.env_offset = w.first_env;
    for (int32_t j = 0; j < w.num_envs; ++j) {
      init.base_seeds.push_back(options_.seed + static_cast<uint64_t>(w.first_env + j) +
                                static_cast<uint64_t>(w.incarnation) * kSeedStride);
    }
    outcomes[id] = Send(w, InitRequest(init), nullptr, 0, deadline);
  }
  Gather(
      started, deadline, [this](Worker& w) { return CheckInitReply(w); }, &outcomes);
  for (int32_t id : started) {
    const Outcome& o = outcomes[id];
    Worker& w = *workers_[id];
    if (o.fault == Fault::kNone) continue;
    if (o.fault == Fault::kExited && w.process.exit_status() == kMissingDependencyExit) {
      errors[id] = "the interpreter cannot import numpy or zmq (pyzmq), which the worker needs";
    } else {
      errors[id] = FaultText(w, o, "init");
    }
  }
  for (int32_t id : ids) {
    if (!errors[id].empty()) StopWorker(*workers_[id]);
  }
  return errors;
}

std::string PythonWorkerPool::FaultText(const Worker& w, const Outcome& o,
                                        const char* request) const {
  const double timeout =
      std::string(request) == "init" ? options_.start_timeout_seconds : options_.timeout_seconds;
  switch (o.fault) {
    case Fault::kNone:
      return "";
    case Fault::kExited:
      return "the worker " + w.process.ExitDescription() + " before answering " + request +
             " (its output, if any, is on stderr)";
    case Fault::kTimedOut:
      return "the worker did not answer " + std::string(request) + " within " +
             SecondsText(timeout);
    case Fault::kBadReply:
      return o.message;
  }
  return o.message;
}

PythonWorkerPool::Outcome PythonWorkerPool::Send(Worker& w, const std::string& header,
                                                 const void* data, size_t bytes,
                                                 Clock::time_point deadline) {
  const zmq::send_flags first_flags = data != nullptr
                                          ? zmq::send_flags::dontwait | zmq::send_flags::sndmore
                                          : zmq::send_flags::dontwait;
  try {
    while (true) {
      // PAIR: the send waits until the worker has connected (and for room, never in practice).
      if (w.socket.send(zmq::buffer(header), first_flags)) {
        if (data != nullptr &&
            !w.socket.send(zmq::const_buffer(data, bytes), zmq::send_flags::dontwait)) {
          return {Fault::kBadReply, "cannot send the request's data frame"};
        }
        return {};
      }
      if (w.process.HasExited()) return {Fault::kExited, ""};
      const auto now = Clock::now();
      if (now >= deadline) return {Fault::kTimedOut, ""};
      const auto slice = std::min<Clock::duration>(deadline - now, kLivenessInterval);
      zmq::pollitem_t item{w.socket.handle(), 0, ZMQ_POLLOUT, 0};
      const auto ms = std::max<int64_t>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(slice).count());
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(ms));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
    }
  } catch (const zmq::error_t& e) {
    return {Fault::kBadReply, std::string("cannot send to the worker: ") + e.what()};
  }
}

int PythonWorkerPool::Receive(Worker& w) {
  w.num_frames = 0;
  while (true) {
    if (w.num_frames == kMaxFrames) return -1;
    if (w.num_frames == w.frames.size()) w.frames.emplace_back();
    zmq::message_t& frame = w.frames[w.num_frames];
    const zmq::recv_result_t got = w.socket.recv(frame, zmq::recv_flags::dontwait);
    if (!got) return w.num_frames == 0 ? 0 : -1;
    ++w.num_frames;
    if (!frame.more()) return 1;
  }
}

template <typename Check>
void PythonWorkerPool::Gather(const std::vector<int32_t>& ids, Clock::time_point deadline,
                              Check check, std::vector<Outcome>* outcomes) {
  std::vector<int32_t>& pending = poll_ids_;
  pending.clear();
  for (int32_t id : ids) {
    if ((*outcomes)[id].fault == Fault::kNone) pending.push_back(id);
  }
  auto last_liveness_check = Clock::now();
  while (!pending.empty()) {
    const auto now = Clock::now();
    if (now >= deadline) {
      for (int32_t id : pending) (*outcomes)[id] = {Fault::kTimedOut, ""};
      return;
    }
    poll_items_.clear();
    for (int32_t id : pending) {
      poll_items_.push_back({workers_[id]->socket.handle(), 0, ZMQ_POLLIN, 0});
    }
    const auto slice = std::min<Clock::duration>(deadline - now, kLivenessInterval);
    const int64_t ms =
        std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(slice).count());
    int ready = 0;
    try {
      ready = zmq::poll(poll_items_.data(), poll_items_.size(), std::chrono::milliseconds(ms));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    std::vector<int32_t> still;
    still.reserve(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      const int32_t id = pending[i];
      Worker& w = *workers_[id];
      if ((poll_items_[i].revents & ZMQ_POLLIN) == 0) {
        still.push_back(id);
        continue;
      }
      int got = -1;
      try {
        got = Receive(w);
      } catch (const zmq::error_t& e) {
        (*outcomes)[id] = {Fault::kBadReply, std::string("cannot receive: ") + e.what()};
        continue;
      }
      if (got == 0) {
        still.push_back(id);
      } else if (got < 0) {
        (*outcomes)[id] = {Fault::kBadReply, "the reply has too many frames"};
      } else if (std::string error = check(w); !error.empty()) {
        (*outcomes)[id] = {Fault::kBadReply, std::move(error)};
      }
    }
    // A worker that died is noticed within kLivenessInterval, not at the deadline.
    if (ready == 0 || Clock::now() - last_liveness_check >= kLivenessInterval) {
      last_liveness_check = Clock::now();
      std::vector<int32_t> alive;
      for (int32_t id : still) {
        if (workers_[id]->process.HasExited()) {
          (*outcomes)[id] = {Fault::kExited, ""};
        } else {
          alive.push_back(id);
        }
      }
      still.swap(alive);
    }
    pending.swap(still);
  }
}

std::string PythonWorkerPool::CheckInitReply(Worker& w) {
  if (w.num_frames != 1) return "the init reply has " + std::to_string(w.num_frames) + " frames";
  nlohmann::json header;
  const zmq::message_t& f = w.frames[0];
  if (std::string error = ParseReplyHeader(f.data(), f.size(), &header); !error.empty()) {
    return error;
  }
  EnvSpec spec;
  spec.id = spec_.id;
  const auto spec_json = header.find("spec");
  if (spec_json == header.end()) return "the init reply has no \"spec\"";
  if (std::string error = ParseWorkerSpec(*spec_json, &spec); !error.empty()) {
    return "the env's spec is invalid: " + error;
  }
  if (!have_spec_) {
    spec_ = std::move(spec);
    have_spec_ = true;
    const auto python = header.find("python");
    if (python != header.end() && python->is_string()) {
      interpreter_description_ = python->get<std::string>();
    }
  } else if (!SameSpecIgnoringId(spec, spec_)) {
    return "its envs have other spaces than the first worker's";
  }
  return "";
}

std::string PythonWorkerPool::CheckResetReply(Worker& w, float* observations, int32_t* num_failed) {
  const size_t k = static_cast<size_t>(w.num_envs), d = spec_.observation_size;
  nlohmann::json header;
  const zmq::message_t& f = w.frames[0];
  if (std::string error = ParseReplyHeader(f.data(), f.size(), &header); !error.empty()) {
    return error;
  }
  if (w.num_frames != 2) return "the reset reply has " + std::to_string(w.num_frames) + " frames";
  const zmq::message_t& obs = w.frames[1];
  if (obs.size() != k * d * sizeof(float)) return "the reset reply's observations have a bad size";
  if (!AllFinite(obs.data<uint8_t>(), k * d)) return "the reset reply has a non-finite observation";
  const auto list = header.find("failed");
  int64_t first_failed = -1;
  int32_t failed = 0;
  if (list != header.end()) {
    if (!list->is_array() || list->size() > k) return "the reset reply's \"failed\" is invalid";
    for (const auto& v : *list) {
      if (!v.is_number_unsigned() || v.get<uint64_t>() >= k) {
        return "the reset reply's \"failed\" is invalid";
      }
      if (first_failed < 0) first_failed = w.first_env + static_cast<int64_t>(v.get<uint64_t>());
      ++failed;
    }
  }
  std::memcpy(observations + static_cast<size_t>(w.first_env) * d, obs.data(), obs.size());
  counters_.env_errors += failed;
  *num_failed += failed;
  if (failed > 0) {
    last_fault_ = "the reset of env " + std::to_string(first_failed) +
                  " failed and the env was replaced (the worker's message is on stderr)";
  }
  return "";
}

std::string PythonWorkerPool::CheckStepReply(Worker& w) {
  const size_t k = static_cast<size_t>(w.num_envs), d = spec_.observation_size;
  const zmq::message_t& head = w.frames[0];
  w.reply_errors = w.reply_nonfinite = 0;
  const size_t plain = std::strlen(kPlainOkReply);
  if (head.size() != plain || std::memcmp(head.data(), kPlainOkReply, plain) != 0) {
    nlohmann::json header;
    if (std::string error = ParseReplyHeader(head.data(), head.size(), &header); !error.empty()) {
      return error;
    }
    if (std::string e = ReadCount(header, "errors", k, &w.reply_errors); !e.empty()) return e;
    if (std::string e = ReadCount(header, "nonfinite", k, &w.reply_nonfinite); !e.empty()) {
      return e;
    }
  }
  if (w.num_frames != 7) return "the step reply has " + std::to_string(w.num_frames) + " frames";
  const zmq::message_t& obs = w.frames[1];
  const zmq::message_t& reward = w.frames[2];
  const zmq::message_t& terminated = w.frames[3];
  const zmq::message_t& truncated = w.frames[4];
  const zmq::message_t& final_obs = w.frames[5];
  const zmq::message_t& dropped = w.frames[6];
  if (obs.size() != k * d * sizeof(float) || reward.size() != k * sizeof(double) ||
      terminated.size() != k || truncated.size() != k || final_obs.size() != obs.size() ||
      dropped.size() != k) {
    return "the step reply's frames have the wrong sizes";
  }
  if (!AllFlags(terminated) || !AllFlags(truncated) || !AllFlags(dropped)) {
    return "the step reply has a flag that is not 0 or 1";
  }
  if (!AllFinite(obs.data<uint8_t>(), k * d)) return "the step reply has a non-finite observation";
  const uint8_t* ended_term = terminated.data<uint8_t>();
  const uint8_t* ended_trunc = truncated.data<uint8_t>();
  const uint8_t* drop = dropped.data<uint8_t>();
  for (size_t j = 0; j < k; ++j) {
    if (drop[j]) continue;
    const double r = ReadDouble(reward, j);
    if (!(std::fabs(r) < kFloat32Overflow)) return "the step reply has a non-finite reward";
    if ((ended_term[j] || ended_trunc[j]) &&
        !AllFinite(final_obs.data<uint8_t>() + j * d * sizeof(float), d)) {
      return "the step reply has a non-finite final observation";
    }
  }
  return "";
}

void PythonWorkerPool::MergeStepReply(const Worker& w, float* observations, float* rewards,
                                      double* rewards64, uint8_t* terminated, uint8_t* truncated,
                                      float* final_observations, uint8_t* dropped) {
  const size_t k = static_cast<size_t>(w.num_envs), d = spec_.observation_size;
  const size_t first = static_cast<size_t>(w.first_env);
  const uint8_t* term = w.frames[3].data<uint8_t>();
  const uint8_t* trunc = w.frames[4].data<uint8_t>();
  const uint8_t* drop = w.frames[6].data<uint8_t>();
  const uint8_t* finals = w.frames[5].data<uint8_t>();
  std::memcpy(observations + first * d, w.frames[1].data(), k * d * sizeof(float));
  int64_t num_dropped = 0;
  for (size_t j = 0; j < k; ++j) {
    const size_t i = first + j;
    const bool is_dropped = drop[j] != 0;
    const double r = is_dropped ? 0.0 : ReadDouble(w.frames[2], j);
    constexpr double kMax = std::numeric_limits<float>::max();
    if (rewards != nullptr) rewards[i] = static_cast<float>(std::clamp(r, -kMax, kMax));
    if (rewards64 != nullptr) rewards64[i] = r;
    terminated[i] = is_dropped ? 0 : term[j];
    truncated[i] = is_dropped ? 0 : trunc[j];
    dropped[i] = is_dropped ? 1 : 0;
    num_dropped += is_dropped ? 1 : 0;
    if (!is_dropped && (term[j] || trunc[j])) {
      std::memcpy(final_observations + i * d, finals + j * d * sizeof(float), d * sizeof(float));
    }
  }
  counters_.dropped_episodes += num_dropped;
  counters_.env_errors += w.reply_errors;
  counters_.nonfinite_observations += w.reply_nonfinite;
  if (num_dropped > 0) {
    last_fault_ = w.Name() + " dropped " + std::to_string(num_dropped) +
                  " episode(s): the env raised or returned a bad value and was replaced (the "
                  "worker's message is on stderr)";
  }
}

void PythonWorkerPool::RestartWorkers(std::vector<int32_t> ids, float* observations) {
  std::string last_error;
  for (int attempt = 1; attempt <= kStartAttempts && !ids.empty(); ++attempt) {
    for (int32_t id : ids) {
      if (attempt == 1) {
        RLF_LOG(Warning) << description_ << ": restarting " << workers_[id]->Name();
      } else {
        RLF_LOG(Warning) << description_ << ": restarting " << workers_[id]->Name()
                         << " again (attempt " << attempt << " of " << kStartAttempts << ")";
      }
    }
    const std::vector<std::string> errors = StartWorkers(ids);
    std::vector<int32_t> started, failed;
    for (int32_t id : ids) {
      if (errors[id].empty()) {
        started.push_back(id);
      } else {
        failed.push_back(id);
        last_error = workers_[id]->Name() + ": " + errors[id];
        RLF_LOG(Warning) << description_ << ": " << last_error;
      }
    }
    const auto deadline = DeadlineAfter(options_.timeout_seconds);
    std::vector<Outcome> outcomes(workers_.size());
    for (int32_t id : started) {
      Worker& w = *workers_[id];
      std::vector<std::optional<uint64_t>> seeds;
      for (int32_t j = 0; j < w.num_envs; ++j) {
        seeds.emplace_back(options_.seed + static_cast<uint64_t>(w.first_env + j) +
                           static_cast<uint64_t>(w.incarnation) * kSeedStride);
      }
      outcomes[id] = Send(w, ResetRequest(seeds), nullptr, 0, deadline);
    }
    int32_t ignored = 0;
    Gather(
        started, deadline,
        [this, observations, &ignored](Worker& w) {
          return CheckResetReply(w, observations, &ignored);
        },
        &outcomes);
    for (int32_t id : started) {
      if (outcomes[id].fault != Fault::kNone) {
        failed.push_back(id);
        last_error = workers_[id]->Name() + ": " + FaultText(*workers_[id], outcomes[id], "reset");
        RLF_LOG(Warning) << description_ << ": " << last_error;
        StopWorker(*workers_[id]);
      }
    }
    ids = std::move(failed);
  }
  if (!ids.empty()) {
    for (int32_t id : ids) StopWorker(*workers_[id]);
    broken_ = "a worker could not be restarted (" + std::to_string(kStartAttempts) +
              " attempts): " + last_error;
    throw std::runtime_error(description_ + ": " + broken_);
  }
}

int32_t PythonWorkerPool::Reset(const std::vector<std::optional<uint64_t>>& seeds,
                                float* observations) {
  CheckUsable();
  if (seeds.size() != static_cast<size_t>(options_.num_envs)) {
    throw std::invalid_argument(description_ + ": Reset needs one seed entry per env");
  }
  const auto deadline = DeadlineAfter(options_.timeout_seconds);
  std::vector<Outcome> outcomes(workers_.size());
  std::vector<int32_t> all;
  for (auto& w : workers_) {
    all.push_back(w->index);
    std::vector<std::optional<uint64_t>> slice(seeds.begin() + w->first_env,
                                               seeds.begin() + w->first_env + w->num_envs);
    outcomes[w->index] = Send(*w, ResetRequest(slice), nullptr, 0, deadline);
  }
  int32_t not_as_asked = 0;
  Gather(
      all, deadline,
      [this, observations, &not_as_asked](Worker& w) {
        return CheckResetReply(w, observations, &not_as_asked);
      },
      &outcomes);
  std::vector<int32_t> restart;
  for (int32_t id : all) {
    const Outcome& o = outcomes[id];
    if (o.fault == Fault::kNone) continue;
    Worker& w = *workers_[id];
    last_fault_ = w.Name() + ": " + FaultText(w, o, "reset");
    RLF_LOG(Warning) << description_ << ": " << last_fault_;
    ++counters_.worker_restarts;
    if (o.fault == Fault::kTimedOut) ++counters_.worker_timeouts;
    not_as_asked += w.num_envs;
    restart.push_back(id);
  }
  if (!restart.empty()) RestartWorkers(restart, observations);
  return not_as_asked;
}

int32_t PythonWorkerPool::Step(const float* actions, float* observations, float* rewards,
                               double* rewards64, uint8_t* terminated, uint8_t* truncated,
                               float* final_observations, uint8_t* dropped) {
  CheckUsable();
  const size_t n = static_cast<size_t>(options_.num_envs), a = spec_.action_size;
  if (spec_.discrete_actions) {
    for (size_t i = 0; i < n; ++i) DiscreteActionIndex(spec_, actions[i]);
  }
  const auto deadline = DeadlineAfter(options_.timeout_seconds);
  std::vector<Outcome> outcomes(workers_.size());
  std::vector<int32_t> all;
  for (auto& w : workers_) {
    all.push_back(w->index);
    outcomes[w->index] = Send(*w, kStepRequest, actions + static_cast<size_t>(w->first_env) * a,
                              static_cast<size_t>(w->num_envs) * a * sizeof(float), deadline);
  }
  Gather(
      all, deadline, [this](Worker& w) { return CheckStepReply(w); }, &outcomes);
  int32_t num_dropped = 0;
  std::vector<int32_t> restart;
  for (int32_t id : all) {
    Worker& w = *workers_[id];
    const Outcome& o = outcomes[id];
    if (o.fault == Fault::kNone) {
      MergeStepReply(w, observations, rewards, rewards64, terminated, truncated, final_observations,
                     dropped);
      for (int32_t j = 0; j < w.num_envs; ++j) num_dropped += dropped[w.first_env + j];
      continue;
    }
    last_fault_ = w.Name() + ": " + FaultText(w, o, "step");
    RLF_LOG(Warning) << description_ << ": " << last_fault_ << "; its " << w.num_envs
                     << " episode(s) are dropped";
    ++counters_.worker_restarts;
    if (o.fault == Fault::kTimedOut) ++counters_.worker_timeouts;
    counters_.dropped_episodes += w.num_envs;
    num_dropped += w.num_envs;
    for (int32_t j = 0; j < w.num_envs; ++j) {
      const size_t i = static_cast<size_t>(w.first_env + j);
      if (rewards != nullptr) rewards[i] = 0.0f;
      if (rewards64 != nullptr) rewards64[i] = 0.0;
      terminated[i] = 0;
      truncated[i] = 0;
      dropped[i] = 1;
    }
    restart.push_back(id);
  }
  if (!restart.empty()) RestartWorkers(restart, observations);
  return num_dropped;
}

}  // namespace rlfleet
