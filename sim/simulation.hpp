#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <troupe/sim/sim_random.hpp>
#include <troupe/sim/sim_scheduler.hpp>
#include <troupe/sim/sim_trace.hpp>

namespace troupe {

/// What one run of a simulation (one seed) gives its test body: the
/// scheduler to build ActorSystems on, the test's own random generator,
/// the fault budget, checks and invariants, and notes for the trace. Made
/// by Simulation for one run and destroyed after it; single-threaded (the
/// simulation's thread, handlers included).
///
/// State that invariants read must be declared before the ActorSystems of
/// the body, so that it outlives their shutdown (which still steps).
class SimContext {
 public:
  static constexpr std::size_t kUnlimited = ~std::size_t{0};

  SimContext(std::uint64_t seed, std::size_t fault_budget, SimSchedulerOptions options = {});
  SimContext(const SimContext&) = delete;
  SimContext& operator=(const SimContext&) = delete;

  std::uint64_t seed() const noexcept { return seed_; }
  /// The scheduler of this run: `ActorSystem system(sim.scheduler());`.
  SimScheduler& scheduler() noexcept { return scheduler_; }
  /// The test's generator, apart from the scheduler's (how many numbers
  /// the scheduler draws never shifts the test's): what to do, when to fail.
  SimRandom& random() noexcept { return random_; }

  /// Asks to inject a fault described by `what`: true (and recorded in the
  /// trace) while the run's fault budget lasts, false after. Shrinking
  /// reruns a failing seed with smaller budgets; a test makes its random
  /// choice first and asks second, so a smaller budget changes nothing else.
  bool fault(std::string_view what);
  /// Faults injected so far, and the most this run may inject.
  std::size_t faults() const noexcept { return faults_; }
  std::size_t fault_budget() const noexcept { return budget_; }

  /// Adds `text` to the trace (and to its hash).
  void note(std::string text);
  /// Names an actor (anything with a cell(): an ActorRef) in the printed
  /// trace: "poll #4 (relay)".
  template <class Ref>
  void name(const Ref& ref, std::string name) {
    if (auto* cell = ref.cell()) scheduler_.name_task(*cell, std::move(name));
  }
  /// A log hook that writes each line into the trace as a note (what an
  /// ActorSystem reports: a top-level actor failed, an on_stop threw):
  /// `ActorSystem system(sim.scheduler(), {.log = sim.log_to_trace()});`.
  std::function<void(const std::string&)> log_to_trace() {
    return [this](const std::string& line) { note("log: " + line); };
  }
  /// Records a failure unless `ok` (the first one is reported, with its
  /// step); the run then stops at the next step it drives (SimHalted).
  /// Safe in handlers: it never throws. Returns `ok`.
  bool check(bool ok, std::string_view what);
  /// The same as check(false, what).
  void fail(std::string_view what) { check(false, what); }
  /// `holds` is checked after every step from now on (and must not step).
  void invariant(std::string name, std::function<bool()> holds);

  bool failed() const noexcept { return failure_.has_value(); }
  /// The first failure's description, and the step it was seen at.
  const std::string& failure() const noexcept { return *failure_; }
  std::uint64_t failure_step() const noexcept { return failure_step_; }

 private:
  void check_invariants();

  std::uint64_t seed_;
  std::size_t budget_;
  std::size_t faults_ = 0;
  SimRandom random_;
  std::vector<std::pair<std::string, std::function<bool()>>> invariants_;
  std::optional<std::string> failure_;
  std::uint64_t failure_step_ = 0;
  SimScheduler scheduler_;  // last: destroyed first, before what its tasks may use
};

/// How a Simulation runs: which seeds, how it perturbs the schedule, how
/// it reports. The environment overrides it (see Simulation).
struct SimOptions {
  /// Seeds per run() (TROUPE_SIM_RUNS overrides).
  std::size_t runs = 1000;
  /// The seeds are base_seed, base_seed + 1, ... (TROUPE_SIM_BASE_SEED overrides).
  std::uint64_t base_seed = 1;
  SimSchedulerOptions scheduler{};
  /// On a failure, rerun its seed with fault budgets 0, 1, ... and report
  /// the smallest that still fails.
  bool shrink = true;
  /// Trace events printed with a failure.
  std::size_t trace_tail = 60;
  /// What follows the environment variables in the replay command printed
  /// with a failure; empty: this program's path.
  std::string replay_command;
  /// Whether the TROUPE_SIM_* variables apply (see Simulation); off for
  /// tests of the runner itself.
  bool from_environment = true;
};

/// One run of a simulation: one seed, one fault budget.
struct SimRun {
  std::uint64_t seed = 0;
  std::size_t fault_budget = SimContext::kUnlimited;
  bool failed = false;
  std::string failure;  // what failed
  std::uint64_t failure_step = 0;
  std::uint64_t steps = 0;       // steps of the whole run
  std::size_t faults = 0;        // faults injected
  std::uint64_t trace_hash = 0;  // over the whole run, shutdown included
  std::string trace_tail;        // the last events, when failed (or asked: TROUPE_SIM_TRACE)
};

/// What Simulation::run found.
struct SimReport {
  std::size_t runs = 0;                          // seeds run
  double seconds = 0;                            // wall time (measured, never used to decide)
  std::uint64_t combined_hash = 0;               // over the runs' trace hashes, in order
  std::optional<SimRun> failure;                 // the first failing seed (after shrinking)
  std::optional<std::size_t> faults_at_failure;  // faults its first (unshrunk) run injected
  std::string replay;                            // the command that replays the failure

  double seeds_per_second() const noexcept { return seconds > 0 ? runs / seconds : 0; }
  /// One line: seeds, time, seeds per second, the combined hash (and the
  /// trace hash of a single seed).
  std::string summary() const;
  /// The failure: seed, step, what, shrinking, trace hash, the trace's
  /// tail, the replay command. Empty without a failure.
  std::string describe() const;
};

/// Runs a test body under many seeds, each on a fresh SimContext, and
/// reports the first seed that fails, shrunk and replayable.
///
///   Simulation sim;                                // 1000 seeds from 1
///   SimReport r = sim.run([](SimContext& sim) {
///     ActorSystem system(sim.scheduler());
///     ...                                          // spawn, inject faults, sim.check(...)
///   });
///
/// The environment: TROUPE_SIM_SEED=<seed> runs that seed alone (a replay;
/// decimal or 0x hex), TROUPE_SIM_RUNS=<n> runs n seeds, TROUPE_SIM_BASE_SEED
/// moves the first, TROUPE_SIM_FAULTS=<k> sets the fault budget of every run,
/// TROUPE_SIM_TRACE=<n> prints the last n trace events of every run (for a
/// replay). A value, reusable; each run makes its scheduler on the calling
/// thread and runs there.
class Simulation {
 public:
  using Body = std::function<void(SimContext&)>;

  explicit Simulation(SimOptions options = {});

  /// Runs `body` once per seed, stopping at the first failure.
  SimReport run(const Body& body) const;
  /// Runs one seed with a fault budget (a replay, or a shrinking step).
  SimRun run_seed(std::uint64_t seed, const Body& body,
                  std::size_t fault_budget = SimContext::kUnlimited) const;
  /// The seeds run() runs.
  std::vector<std::uint64_t> seeds() const;
  /// The command that replays `seed` with `fault_budget`.
  std::string replay_command(std::uint64_t seed, std::size_t fault_budget) const;
  const SimOptions& options() const noexcept { return options_; }

 private:
  SimOptions options_;
  std::optional<std::uint64_t> only_seed_;
  std::size_t fault_budget_ = SimContext::kUnlimited;
  std::size_t print_trace_ = 0;
};

}  // namespace troupe
