#pragma once

// The GoogleTest form of a Simulation (include it only in tests that link
// GoogleTest; troupe::sim itself does not).

#include <cstdio>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/sim/simulation.hpp>

namespace troupe {

/// Runs `body` over the seeds of `options` (and of the environment: see
/// Simulation) inside the current GoogleTest test. Prints one line (seeds,
/// seeds per second, the combined trace hash); a failing seed is an
/// ADD_FAILURE with the report: seed, step, what failed, the smallest
/// fault budget that still fails, the trace's tail and hash, and the
/// command that replays it (`TROUPE_SIM_SEED=<seed> <binary>
/// --gtest_filter=<this test>`). Returns the report.
inline SimReport simulate(const Simulation::Body& body, SimOptions options = {}) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (options.replay_command.empty() && info != nullptr) {
    const std::string name = std::string(info->test_suite_name()) + "." + info->name();
    options.replay_command =
        Simulation(options).options().replay_command +
        (name.find("DISABLED_") != std::string::npos ? " --gtest_also_run_disabled_tests" : "") +
        " --gtest_filter=" + name;
  }
  const SimReport report = Simulation(std::move(options)).run(body);
  std::printf("[   sim    ] %s\n", report.summary().c_str());
  std::fflush(stdout);
  if (info != nullptr) {
    ::testing::Test::RecordProperty(
        "sim_seeds_per_second", std::to_string(static_cast<long long>(report.seeds_per_second())));
  }
  if (report.failure) ADD_FAILURE() << report.describe();
  return report;
}

/// A fixture for simulation tests: `TEST_F(MySim, Name) { simulate(...); }`
/// with a `using MySim = troupe::SimulationTest;`. Adds nothing to
/// simulate() but the spelling; for tests that want a fixture.
class SimulationTest : public ::testing::Test {
 protected:
  SimReport simulate(const Simulation::Body& body, SimOptions options = {}) {
    return troupe::simulate(body, std::move(options));
  }
};

}  // namespace troupe
