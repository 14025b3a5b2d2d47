#include <shardfit/version.hpp>

#include <gtest/gtest.h>

#include <string>

TEST(Version, MatchesTheCMakeProjectVersion) {
  EXPECT_EQ(std::string(shardfit::version_string), SHARDFIT_PROJECT_VERSION);
  EXPECT_EQ(std::to_string(SHARDFIT_VERSION_MAJOR) + "." + std::to_string(SHARDFIT_VERSION_MINOR) +
                "." + std::to_string(SHARDFIT_VERSION_PATCH),
            SHARDFIT_PROJECT_VERSION);
}
