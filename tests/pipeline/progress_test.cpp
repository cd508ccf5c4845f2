// The progress line of a long run (examples/pipeline/progress.hpp).

#include "pipeline/progress.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include <troupe/runtime/runtime.hpp>

namespace {

TEST(Progress, TheLineSaysHowMuchHowFastAndHowFar) {
  const std::string line = wordfreq::format_progress(50'000'000, 2.0, 200'000'000);
  EXPECT_NE(line.find("50.0 MB"), std::string::npos) << line;
  EXPECT_NE(line.find("25.0 MB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("25%"), std::string::npos) << line;
  // An unknown total (standard input): no share.
  EXPECT_EQ(wordfreq::format_progress(1'000'000, 1.0, 0).find('%'), std::string::npos);
  // Never past 100%, even if the files grew while being read.
  EXPECT_NE(wordfreq::format_progress(300, 1.0, 200).find("100%"), std::string::npos);
}

TEST(Progress, AShortRunShowsNothing) {
  troupe::Runtime runtime;
  wordfreq::PipelineStats stats;
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  wordfreq::ProgressMeter meter(runtime, stats, 0, out, std::chrono::hours(1));
  EXPECT_FALSE(meter.stop());
  EXPECT_FALSE(meter.stop());  // idempotent
  EXPECT_EQ(std::ftell(out), 0L);
  std::fclose(out);
}

}  // namespace
