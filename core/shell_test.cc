#include "core/shell.h"

#include <gtest/gtest.h>

#include <string>

#include "core/file_util.h"

namespace rlfleet {
namespace {

TEST(ShellTest, QuotedTextSurvivesTheShell) {
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  // What sh makes of the quoted text is the text itself.
  TempDir dir("rlfleet-shell-test");
  const std::string text = "a b'c\"$HOME`x`\\";
  const std::string path = dir.path() + "/out";
  ASSERT_EQ(RunShell("printf %s " + ShellQuote(text) + " > " + path).first, 0);
  EXPECT_EQ(ReadFile(path), text);
}

TEST(ShellTest, RunShellGivesTheStatusAndBothOutputs) {
  const auto [code, output] = RunShell("echo out; echo err >&2; exit 3");
  EXPECT_EQ(code, 3);
  EXPECT_EQ(output, "out\nerr\n");
  EXPECT_EQ(RunShell("kill -9 $$").first, -1);  // ended by a signal
}

}  // namespace
}  // namespace rlfleet
