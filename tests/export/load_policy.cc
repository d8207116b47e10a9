// Checks an exported rlfleet policy (`rlfleet export`) from C++ with nothing but LibTorch (and
// the header-only nlohmann/json for its metadata):
//
//   load_policy POLICY.pt OBSERVATIONS.csv ACTIONS.csv ENV_ID ALGORITHM VERSION
//
// loads POLICY.pt with torch::jit::load, runs forward on the observations (one a line) and
// compares with the actions `rlfleet eval --observations` wrote: discrete ones equal, continuous
// ones within 1e-5 and inside the metadata's bounds. The metadata (rlfleet.json) must name
// ENV_ID, ALGORITHM and VERSION and the observation size of the CSV. Exits 0 and prints "ok N"
// when everything matches, 1 naming the first difference otherwise.

#include <torch/script.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::vector<double>> ReadRows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) row.push_back(std::stod(field));
    rows.push_back(row);
  }
  return rows;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    return Fail(
        "usage: load_policy POLICY.pt OBSERVATIONS.csv ACTIONS.csv ENV_ID ALGORITHM VERSION");
  }
  torch::jit::ExtraFilesMap extra = {{"rlfleet.json", ""}};
  torch::jit::Module module = torch::jit::load(argv[1], torch::kCPU, extra);
  const nlohmann::json metadata = nlohmann::json::parse(extra["rlfleet.json"]);
  if (metadata.at("env_id") != argv[4]) return Fail("env_id " + metadata.at("env_id").dump());
  if (metadata.at("algorithm") != argv[5]) {
    return Fail("algorithm " + metadata.at("algorithm").dump());
  }
  if (metadata.at("rlfleet_version") != argv[6]) {
    return Fail("rlfleet_version " + metadata.at("rlfleet_version").dump());
  }

  const std::vector<std::vector<double>> observations = ReadRows(argv[2]);
  const std::vector<std::vector<double>> expected = ReadRows(argv[3]);
  const int64_t n = static_cast<int64_t>(observations.size());
  const int64_t d = metadata.at("observation").at("size").get<int64_t>();
  if (n == 0 || static_cast<int64_t>(expected.size()) != n) return Fail("row counts differ");
  torch::Tensor x = torch::empty({n, d});
  for (int64_t i = 0; i < n; ++i) {
    if (static_cast<int64_t>(observations[i].size()) != d) return Fail("observation width");
    for (int64_t j = 0; j < d; ++j) x[i][j] = observations[i][j];
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor actions = module.forward({x}).toTensor().contiguous();
  const nlohmann::json& action = metadata.at("action");
  if (action.at("discrete").get<bool>()) {
    if (actions.scalar_type() != torch::kLong || actions.dim() != 1 || actions.size(0) != n) {
      return Fail("discrete actions must be int64 [B]");
    }
    const int64_t* a = actions.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      if (a[i] != static_cast<int64_t>(expected[i].at(0))) {
        return Fail("row " + std::to_string(i) + ": " + std::to_string(a[i]) + ", eval wrote " +
                    std::to_string(expected[i].at(0)));
      }
    }
  } else {
    const int64_t size = action.at("size").get<int64_t>();
    if (actions.scalar_type() != torch::kFloat || actions.dim() != 2 || actions.size(0) != n ||
        actions.size(1) != size) {
      return Fail("continuous actions must be float32 [B, A]");
    }
    const float* a = actions.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < size; ++j) {
        const double v = a[i * size + j];
        if (std::fabs(v - expected[i].at(j)) > 1e-5) {
          return Fail("row " + std::to_string(i) + " dim " + std::to_string(j) + ": " +
                      std::to_string(v) + ", eval wrote " + std::to_string(expected[i].at(j)));
        }
        if (v < action.at("low").at(j).get<double>() || v > action.at("high").at(j).get<double>()) {
          return Fail("row " + std::to_string(i) + " outside the bounds");
        }
      }
    }
  }
  std::printf("ok %lld\n", static_cast<long long>(n));
  return 0;
}
