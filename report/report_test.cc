#include "report/report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/file_util.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

// A finished run whose mean return grows linearly: slope·env_steps/1000 at env steps 0 (no
// episode yet), 500, 1000 and, when `longer`, 2000; wall seconds = env steps / 100.
std::string FakeRun(const std::string& dir, double slope, double final_return, bool longer) {
  fs::create_directories(dir);
  std::string csv = "wall_seconds,env_steps,episodes,mean_return_100,eval_mean_return\n";
  for (int steps : {0, 500, 1000, 2000}) {
    if (steps == 2000 && !longer) break;
    csv += std::to_string(steps / 100.0) + "," + std::to_string(steps) + "," +
           std::to_string(steps == 0 ? 0 : steps / 10) + "," +
           std::to_string(steps == 0 ? 0.0 : slope * steps / 1000) + ",\n";
  }
  WriteFileAtomic(dir + "/metrics.csv", csv);
  WriteFileAtomic(dir + "/summary.json",
                  "{\"final_mean_return_100\": " + std::to_string(final_return) +
                      ", \"final_eval_mean_return\": null, \"env_steps\": " +
                      std::to_string(longer ? 2000 : 1000) +
                      ", \"wall_seconds\": 12.5, \"completed\": true}");
  return dir;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    lines.push_back(text.substr(at, end - at));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return lines;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const double slopes[] = {100, 200, 300, 1000};
    const double finals[] = {100, 200, 300, 1000};
    for (int i = 0; i < 4; ++i) {
      runs_.push_back({static_cast<uint64_t>(i + 1),
                       FakeRun(dir_.path() + "/run" + std::to_string(i + 1), slopes[i], finals[i],
                               /*longer=*/i == 3)});
    }
    options_.title = "fake";
    options_.command = "rlfleet report configs/fake.yaml --seeds 1-4";
    options_.threshold = 150;
    options_.resamples = 2000;
    options_.curve_points = 3;
    options_.out_dir = dir_.path() + "/report";
  }
  TempDir dir_{"rlfleet-report-test"};
  std::vector<ReportRun> runs_;
  ReportOptions options_;
};

TEST_F(ReportTest, TableHasEachSeedAndTheAggregatesComputedByHand) {
  const std::string md = WriteReport(runs_, options_);
  EXPECT_EQ(ReadFile(options_.out_dir + "/report.md"), md);
  EXPECT_NE(md.find("Command: `rlfleet report configs/fake.yaml --seeds 1-4`"), std::string::npos);
  // Seed 1 never reaches 150 (50 at 500 steps, 100 at 1000); seed 2 at 1000 steps (200); seeds 3
  // and 4 at 500 steps (150, 500).
  EXPECT_NE(md.find("| 1 | 100.0 | 1000 | 12.5 | not reached |  | true |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| 2 | 200.0 | 1000 | 12.5 | 1000 | 10.0 | true |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 3 | 300.0 | 1000 | 12.5 | 500 | 5.0 | true |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 4 | 1000.0 | 2000 | 12.5 | 500 | 5.0 | true |"), std::string::npos) << md;
  // {100, 200, 300, 1000}: mean 400, median 250, IQM = mean of 200 and 300 = 250.
  EXPECT_NE(md.find("| mean | 400.0 | | | | | |"), std::string::npos) << md;
  // Times to 150 of the seeds that reached it: 1000, 500, 500 env steps; 10, 5, 5 s.
  EXPECT_NE(md.find("| median | 250.0 | | | 500 | 5.0 | |"), std::string::npos) << md;
  EXPECT_NE(md.find("| **IQM** [95% CI] | **250.0** ["), std::string::npos) << md;
  EXPECT_NE(md.find("3 of them reached"), std::string::npos) << md;
  EXPECT_EQ(md.find("greedy evaluation at the end"), std::string::npos) << md;  // no evaluations
}

TEST_F(ReportTest, OneSeedIsItsOwnAggregateAndIsCountedInTheSingular) {
  const std::string md = WriteReport({runs_[2]}, options_);
  EXPECT_NE(md.find("| **IQM** [95% CI] | **300.0** [300.0, 300.0]"), std::string::npos) << md;
  EXPECT_NE(md.find("\n1 seed; 1 of them reached"), std::string::npos) << md;
  EXPECT_EQ(md.find("1 seeds"), std::string::npos) << md;
}

TEST_F(ReportTest, CurvesAreTheIqmOverSeedsUpToTheShortestRun) {
  WriteReport(runs_, options_);
  const std::vector<std::string> rows = Lines(ReadFile(options_.out_dir + "/curves_env_steps.csv"));
  ASSERT_EQ(rows.size(), 4u);  // header + 3 grid points on [0, 1000]
  EXPECT_EQ(rows[0], "env_steps,iqm,low,high,seed_1,seed_2,seed_3,seed_4");
  // At 0 no seed has an episode yet: empty.
  EXPECT_EQ(rows[1], "0,,,,,,,");
  // At 500: 50, 100, 150, 500 → IQM 125; at 1000: 100, 200, 300, 1000 → 250.
  EXPECT_EQ(rows[2].rfind("500,125,", 0), 0u) << rows[2];
  EXPECT_NE(rows[2].find(",50,100,150,500"), std::string::npos) << rows[2];
  EXPECT_EQ(rows[3].rfind("1000,250,", 0), 0u) << rows[3];
  // The wall-time curve: the same values at wall seconds = env steps / 100.
  const std::vector<std::string> wall =
      Lines(ReadFile(options_.out_dir + "/curves_wall_seconds.csv"));
  ASSERT_EQ(wall.size(), 4u);
  EXPECT_EQ(wall[2].rfind("5,125,", 0), 0u) << wall[2];
}

TEST_F(ReportTest, PlotsPngsWithMatplotlib) {
  if (std::system("/usr/bin/python3 -c 'import matplotlib' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3-matplotlib is not installed (scripts/setup.sh installs it); "
                 << "this test was skipped";
  }
  options_.plot_script = std::string(RLFLEET_SOURCE_DIR) + "/scripts/plot_curves.py";
  const std::string md = WriteReport(runs_, options_);
  for (const char* png : {"/curves_env_steps.png", "/curves_wall_seconds.png"}) {
    const std::string bytes = ReadFile(options_.out_dir + png);
    ASSERT_GT(bytes.size(), 1000u) << png;
    EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n") << png;
  }
  EXPECT_NE(md.find("](curves_env_steps.png)"), std::string::npos) << md;
}

TEST_F(ReportTest, AMissingOrBrokenRunIsNamed) {
  fs::remove(runs_[2].run_dir + "/summary.json");
  try {
    WriteReport(runs_, options_);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(runs_[2].run_dir), std::string::npos) << e.what();
  }
  options_.metric = "best_return";
  EXPECT_THROW(WriteReport(runs_, options_), std::invalid_argument);
}

// scripts/update_baselines_doc.py puts each report.md between its markers, image links made
// relative to the document, makes the summary table, and leaves the rest alone.
TEST_F(ReportTest, TheBaselinesDocumentIsRegeneratedFromReports) {
  if (std::system("/usr/bin/python3 -c 'import yaml' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no /usr/bin/python3 with python3-yaml (scripts/setup.sh installs it); "
                 << "this test was skipped";
  }
  options_.out_dir = dir_.path() + "/docs/baselines/fake";
  // The budget on the command line wins over the config's.
  options_.command =
      "rlfleet report configs/fake.yaml --set learner.total_env_steps=1500000 --seeds 1-4";
  const std::string md = WriteReport(runs_, options_);
  fs::create_directories(dir_.path() + "/configs");
  WriteFileAtomic(dir_.path() + "/configs/fake.yaml",
                  "env: {id: Pendulum-v1}\nlearner: {algo: sac, total_env_steps: 30000}\n");
  const std::string doc = dir_.path() + "/docs/baselines.md";
  WriteFileAtomic(doc,
                  "# Baselines\n<!-- summary -->\nan old summary\n<!-- end summary -->\n"
                  "hand-written\n<!-- report docs/baselines/fake/report.md -->\n"
                  "an old table\n<!-- end report -->\nmore text\n");
  // The report as it would have images.
  WriteFileAtomic(options_.out_dir + "/report.md", md + "![curve](curves_env_steps.png)\n");
  const std::string script = std::string(RLFLEET_SOURCE_DIR) + "/scripts/update_baselines_doc.py";
  ASSERT_EQ(std::system(
                ("cd " + dir_.path() + " && " + script + " docs/baselines.md > /dev/null").c_str()),
            0);
  // The summary row: 3 of the 4 seeds reach 150 and the IQM of {100, 200, 300, 1000} is 250
  // (TableHasEachSeedAndTheAggregatesComputedByHand); the interval as the report gives it.
  const size_t iqm_at = md.find("| **IQM** [95% CI] | ");
  ASSERT_NE(iqm_at, std::string::npos) << md;
  const size_t cell_at = iqm_at + std::string("| **IQM** [95% CI] | ").size();
  const std::string iqm_cell = md.substr(cell_at, md.find(" |", cell_at) - cell_at);
  EXPECT_EQ(iqm_cell.rfind("**250.0** [", 0), 0u) << iqm_cell;
  const std::string summary =
      "| config | algorithm | env | env steps | target | seeds that reached it | "
      "IQM of the final mean return (last 100 episodes) [95% CI] | "
      "IQM of the greedy evaluation [95% CI] |\n|---|---|---|---|---|---|---|---|\n"
      "| `configs/fake.yaml` | sac | Pendulum-v1 | 1.5M | mean return (last 100 episodes) ≥ 150 | "
      "3 of 4 | " +
      iqm_cell + " |  |\n";
  EXPECT_EQ(ReadFile(doc), "# Baselines\n<!-- summary -->\n" + summary +
                               "<!-- end summary -->\nhand-written\n"
                               "<!-- report docs/baselines/fake/report.md -->\n" +
                               md + "![curve](baselines/fake/curves_env_steps.png)\n" +
                               "<!-- end report -->\nmore text\n");
}

// The best seed by the final mean return (seed 4: 1000) is drawn once into out_dir and shown;
// a drawing that fails is a warning line, and the report is still written.
TEST_F(ReportTest, ThePictureOfTheBestSeedIsInTheReportAndAFailureIsAWarning) {
  std::vector<std::string> drawn;
  options_.strip_name = "strip_fake.png";
  options_.draw_strip = [&drawn](const std::string& run_dir, const std::string& png) {
    drawn.push_back(run_dir);
    WriteFileAtomic(png, "a picture");
  };
  std::string md = WriteReport(runs_, options_);
  EXPECT_EQ(drawn, std::vector<std::string>{runs_[3].run_dir});
  EXPECT_EQ(ReadFile(options_.out_dir + "/strip_fake.png"), "a picture");
  EXPECT_NE(md.find("\nBest seed 4: ![a greedy episode of seed 4's newest checkpoint, left to "
                    "right](strip_fake.png)\n"),
            std::string::npos)
      << md;

  // Among seeds 1-3 the best is 3; its drawing fails.
  options_.draw_strip = [](const std::string&, const std::string&) {
    throw std::runtime_error("cannot render 'Fake-v0': no GL context");
  };
  md = WriteReport({runs_[0], runs_[1], runs_[2]}, options_);
  EXPECT_NE(md.find("\nWarning: no picture of the best seed (3): cannot render 'Fake-v0': no GL "
                    "context\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("Best seed"), std::string::npos) << md;
  EXPECT_EQ(ReadFile(options_.out_dir + "/report.md"), md);
  EXPECT_FALSE(fs::exists(options_.out_dir + "/strip_fake.png"));  // not the older report's

  options_.strip_name = "";
  EXPECT_THROW(WriteReport(runs_, options_), std::invalid_argument);
  // Without draw_strip, no picture and no line.
  options_.draw_strip = nullptr;
  EXPECT_EQ(WriteReport(runs_, options_).find("seed 4:"), std::string::npos);
}

// The picture of a report's best seed is shown in the document from the report's directory:
// through report.md's own line, or, when report.md does not show a strip_*.png there, a line
// at the end of the section.
TEST_F(ReportTest, TheBaselinesDocumentShowsTheReportsPictures) {
  if (std::system("/usr/bin/python3 -c 'import yaml' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no /usr/bin/python3 with python3-yaml (scripts/setup.sh installs it); "
                 << "this test was skipped";
  }
  options_.out_dir = dir_.path() + "/docs/baselines/fake";
  options_.strip_name = "strip_fake.png";
  options_.draw_strip = [](const std::string&, const std::string& png) {
    WriteFileAtomic(png, "a picture");
  };
  const std::string md = WriteReport(runs_, options_);
  options_.out_dir = dir_.path() + "/docs/baselines/older";
  options_.draw_strip = nullptr;
  const std::string older = WriteReport(runs_, options_);
  WriteFileAtomic(options_.out_dir + "/strip_older.png", "made later by eval --strip");
  const std::string doc = dir_.path() + "/docs/baselines.md";
  WriteFileAtomic(doc,
                  "<!-- report docs/baselines/fake/report.md -->\n<!-- end report -->\n"
                  "<!-- report docs/baselines/older/report.md -->\n<!-- end report -->\n");
  const std::string script = std::string(RLFLEET_SOURCE_DIR) + "/scripts/update_baselines_doc.py";
  ASSERT_EQ(std::system(
                ("cd " + dir_.path() + " && " + script + " docs/baselines.md > /dev/null").c_str()),
            0);
  const std::string text = ReadFile(doc);
  const std::string line =
      "Best seed 4: ![a greedy episode of seed 4's newest checkpoint, left "
      "to right](baselines/fake/strip_fake.png)\n";
  EXPECT_NE(text.find(line), std::string::npos) << text;
  EXPECT_EQ(text.find("](baselines/fake/strip_fake.png)"),
            text.rfind("](baselines/fake/strip_fake.png)"))
      << text;  // once
  EXPECT_NE(text.find(older + "\n![a greedy episode of the best seed's policy]"
                              "(baselines/older/strip_older.png)\n<!-- end report -->"),
            std::string::npos)
      << text;
}

TEST(ParseSeedsTest, RangesAndLists) {
  EXPECT_EQ(ParseSeeds("1-5"), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ParseSeeds("1,3,7"), (std::vector<uint64_t>{1, 3, 7}));
  EXPECT_EQ(ParseSeeds("1-3,9"), (std::vector<uint64_t>{1, 2, 3, 9}));
  EXPECT_EQ(ParseSeeds("4"), (std::vector<uint64_t>{4}));
  for (const char* bad : {"", "5-1", "1,1", "a", "1-", "-3", "1,,2"}) {
    EXPECT_THROW(ParseSeeds(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace rlfleet
