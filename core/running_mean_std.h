#ifndef RLFLEET_CORE_RUNNING_MEAN_STD_H_
#define RLFLEET_CORE_RUNNING_MEAN_STD_H_

#include <cstdint>
#include <vector>

namespace rlfleet {

// Per-component mean and population variance of a stream of D-vectors, kept in double
// precision and merged batch by batch with the parallel update of Chan, Golub and LeVeque
// (1979): for a = what was seen, b = a batch,
//   n = n_a + n_b,  δ = mean_b − mean_a,
//   mean = mean_a + δ · n_b / n,  M2 = M2_a + M2_b + δ² · n_a · n_b / n,  variance = M2 / n.
// Not thread-safe.
class RunningMeanStd {
 public:
  // Throws std::invalid_argument when size <= 0.
  explicit RunningMeanStd(int32_t size);

  // Adds `count` row-major rows of size() floats.
  void Add(const float* rows, int64_t count);
  // Adds everything `other` has seen; throws std::invalid_argument on another size.
  void Merge(const RunningMeanStd& other);

  int32_t size() const { return static_cast<int32_t>(mean_.size()); }
  double count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }  // 0 before anything was added
  const std::vector<double>& m2() const { return m2_; }      // Σ (x − mean)²
  // M2 / count per component; 1 before anything was added.
  std::vector<double> Variance() const;

  // Replaces the state (a checkpoint's). Throws std::invalid_argument when the sizes differ
  // from size(), count is negative or not finite, or a value is not finite or an M2 negative;
  // nothing changes then.
  void Restore(double count, const std::vector<double>& mean, const std::vector<double>& m2);

 private:
  double count_ = 0.0;
  std::vector<double> mean_, m2_;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_RUNNING_MEAN_STD_H_
