#include "tools/cli/line_prefixer.h"

#include <string>

#include "gtest/gtest.h"

namespace cli {
namespace {

TEST(LinePrefixerTest, PrefixesEveryLine) {
  LinePrefixer prefixer(3);
  std::string out;
  prefixer.Feed("a\nbc\n\nd\n", out);
  EXPECT_EQ(out, "[3] a\n[3] bc\n[3] \n[3] d\n");
}

TEST(LinePrefixerTest, LineAcrossChunksGetsOnePrefix) {
  LinePrefixer prefixer(1);
  std::string out;
  prefixer.Feed("hel", out);
  prefixer.Feed("lo\nwor", out);
  prefixer.Feed("ld\n", out);
  EXPECT_EQ(out, "[1] hello\n[1] world\n");
}

TEST(LinePrefixerTest, FinishEndsAPartialLine) {
  LinePrefixer prefixer(12);
  std::string out;
  prefixer.Feed("tail", out);
  prefixer.Finish(out);
  EXPECT_EQ(out, "[12] tail\n");
}

TEST(LinePrefixerTest, FinishAfterACompleteLineAddsNothing) {
  LinePrefixer prefixer(1);
  std::string out;
  prefixer.Feed("x\n", out);
  prefixer.Finish(out);
  prefixer.Finish(out);
  EXPECT_EQ(out, "[1] x\n");
}

TEST(LinePrefixerTest, BytesPassUnchanged) {
  LinePrefixer prefixer(1);
  std::string out;
  prefixer.Feed(std::string("\0\xff\r", 3), out);
  EXPECT_EQ(out, std::string("[1] \0\xff\r", 7));
}

}  // namespace
}  // namespace cli
