// The version macros agree with each other and with the VERSION file.
#include "ipc/version.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace {

TEST(VersionTest, MacroEqualsTheVersionFile) {
  std::ifstream file("VERSION");
  ASSERT_TRUE(file.is_open()) << "VERSION is not in the runfiles";
  std::string line;
  ASSERT_TRUE(std::getline(file, line));
  EXPECT_EQ(line, LOCALSOCKET_VERSION);
}

TEST(VersionTest, PartsSpellTheString) {
  EXPECT_EQ(std::to_string(LOCALSOCKET_VERSION_MAJOR) + "." +
                std::to_string(LOCALSOCKET_VERSION_MINOR) + "." +
                std::to_string(LOCALSOCKET_VERSION_PATCH),
            LOCALSOCKET_VERSION);
}

}  // namespace
