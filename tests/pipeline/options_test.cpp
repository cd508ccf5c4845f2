// The command line of troupe-wordfreq (examples/pipeline/options.hpp).

#include "pipeline/options.hpp"

#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace {

using wordfreq::parse_command_line;
using Args = std::vector<std::string_view>;
using Inputs = std::vector<std::string>;

TEST(CommandLine, Defaults) {
  const auto parsed = parse_command_line(Args{});
  ASSERT_TRUE(parsed.command) << parsed.error;
  EXPECT_EQ(parsed.command->pipeline.top, 10u);
  EXPECT_EQ(parsed.command->pipeline.workers, 0u);  // resolved to the machine later
  EXPECT_EQ(parsed.command->inputs, Inputs{"-"});
  EXPECT_FALSE(parsed.command->help);
}

TEST(CommandLine, OptionsAndFiles) {
  const auto parsed =
      parse_command_line(Args{"--top", "5", "a.txt", "--workers=3", "-", "--shards", "7",
                              "--threads", "2", "--chunk-size", "4096", "b.txt"});
  ASSERT_TRUE(parsed.command) << parsed.error;
  const auto& c = *parsed.command;
  EXPECT_EQ(c.pipeline.top, 5u);
  EXPECT_EQ(c.pipeline.workers, 3u);
  EXPECT_EQ(c.pipeline.shards, 7u);
  EXPECT_EQ(c.pipeline.chunk_size, 4096u);
  EXPECT_EQ(c.threads, 2u);
  EXPECT_EQ(c.inputs, (Inputs{"a.txt", "-", "b.txt"}));
}

TEST(CommandLine, DoubleDashEndsTheOptions) {
  const auto parsed = parse_command_line(Args{"--", "--top", "-x"});
  ASSERT_TRUE(parsed.command) << parsed.error;
  EXPECT_EQ(parsed.command->inputs, (Inputs{"--top", "-x"}));
}

TEST(CommandLine, TopZeroMeansEveryWord) {
  const auto parsed = parse_command_line(Args{"--top=0"});
  ASSERT_TRUE(parsed.command) << parsed.error;
  EXPECT_EQ(parsed.command->pipeline.top, 0u);
}

TEST(CommandLine, Help) {
  const auto parsed = parse_command_line(Args{"--help"});
  ASSERT_TRUE(parsed.command);
  EXPECT_TRUE(parsed.command->help);
  EXPECT_NE(wordfreq::usage("prog").find("usage: prog"), std::string::npos);
}

TEST(CommandLine, Errors) {
  for (const Args& args : {Args{"--frobnicate"}, Args{"-k"}, Args{"--top"}, Args{"--top", "x"},
                           Args{"--top", "-1"}, Args{"--top", "5k"}, Args{"--workers", "0"},
                           Args{"--shards="}, Args{"--threads", "99999999"}}) {
    const auto parsed = parse_command_line(args);
    EXPECT_FALSE(parsed.command) << args[0];
    EXPECT_FALSE(parsed.error.empty());
  }
  EXPECT_NE(parse_command_line(Args{"--frobnicate"}).error.find("--frobnicate"), std::string::npos);
}

}  // namespace
