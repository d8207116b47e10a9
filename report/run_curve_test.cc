#include "report/run_curve.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/file_util.h"

namespace rlfleet {
namespace {

TEST(RunCurveTest, ReadsAColumnSkippingEmptyValuesAndRowsBeforeTheFirstEpisode) {
  TempDir dir("rlfleet-run-curve-test");
  const std::string path = dir.path() + "/metrics.csv";
  WriteFileAtomic(path,
                  "wall_seconds,env_steps,episodes,mean_return_100,eval_mean_return\n"
                  "1.0,0,0,0,\n"
                  "2.0,1000,3,20.5,\n"
                  "3.0,2000,9,40.25,100\n"
                  "4.0,3000,15,60,\n");
  const RunCurve training = ReadRunCurve(path, "mean_return_100", /*skip_until_episodes=*/true);
  EXPECT_EQ(training.env_steps, (std::vector<double>{1000, 2000, 3000}));
  EXPECT_EQ(training.wall_seconds, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(training.value, (std::vector<double>{20.5, 40.25, 60}));
  const RunCurve evaluation = ReadRunCurve(path, "eval_mean_return", false);
  EXPECT_EQ(evaluation.env_steps, (std::vector<double>{2000}));
  EXPECT_EQ(evaluation.value, (std::vector<double>{100}));
  EXPECT_THROW(ReadRunCurve(path, "no_such_column", false), std::runtime_error);
  EXPECT_THROW(ReadRunCurve(dir.path() + "/missing.csv", "mean_return_100", false),
               std::runtime_error);
  WriteFileAtomic(path, "wall_seconds,env_steps,episodes,mean_return_100\n1,x,1,2\n");
  EXPECT_THROW(ReadRunCurve(path, "mean_return_100", false), std::runtime_error);
}

TEST(RunCurveTest, InterpolatesLinearlyInsideAndIsNanOutside) {
  const std::vector<double> x = {0, 10, 10, 30};
  const std::vector<double> y = {0, 5, 7, 17};
  EXPECT_DOUBLE_EQ(InterpolateAt(x, y, 0), 0);
  EXPECT_DOUBLE_EQ(InterpolateAt(x, y, 4), 2);
  EXPECT_DOUBLE_EQ(InterpolateAt(x, y, 10), 7);  // at a step: the later point
  EXPECT_DOUBLE_EQ(InterpolateAt(x, y, 20), 12);
  EXPECT_DOUBLE_EQ(InterpolateAt(x, y, 30), 17);
  EXPECT_TRUE(std::isnan(InterpolateAt(x, y, 31)));
  EXPECT_TRUE(std::isnan(InterpolateAt(x, y, -1)));
  EXPECT_TRUE(std::isnan(InterpolateAt({}, {}, 0)));
  EXPECT_EQ(Grid(300, 4), (std::vector<double>{0, 100, 200, 300}));
  EXPECT_THROW(Grid(1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
