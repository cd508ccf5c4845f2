#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <unistd.h>

#include <troupe/sim/simulation.hpp>

namespace troupe {

namespace {

// Salts that keep the test's generator apart from the scheduler's.
constexpr std::uint64_t kTestStreamSalt = 0x5851f42d4c957f2dULL;

std::optional<std::uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 0);
  if (end == v || *end != '\0') {
    std::fprintf(stderr, "troupe::Simulation: ignoring %s=%s (not a number)\n", name, v);
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(n);
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string program_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "<this test binary>";
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

// --- SimContext ---------------------------------------------------------------------

SimContext::SimContext(std::uint64_t seed, std::size_t fault_budget, SimSchedulerOptions options)
    : seed_(seed),
      budget_(fault_budget),
      random_(seed ^ kTestStreamSalt),
      scheduler_(seed, options) {
  scheduler_.set_after_step([this] { check_invariants(); });
}

bool SimContext::fault(std::string_view what) {
  if (faults_ >= budget_) return false;
  ++faults_;
  scheduler_.record(SimEventKind::kFault, faults_, std::string(what));
  return true;
}

void SimContext::note(std::string text) {
  scheduler_.record(SimEventKind::kNote, 0, std::move(text));
}

bool SimContext::check(bool ok, std::string_view what) {
  if (ok || failure_) return ok;
  try {
    failure_ = std::string(what);
    failure_step_ = scheduler_.steps();
    scheduler_.record(SimEventKind::kNote, 0, "CHECK FAILED: " + *failure_);
  } catch (...) {  // out of memory: the halt below still stops the run
  }
  scheduler_.halt();
  return ok;
}

void SimContext::invariant(std::string name, std::function<bool()> holds) {
  invariants_.emplace_back(std::move(name), std::move(holds));
}

void SimContext::check_invariants() {
  if (failure_) return;
  for (const auto& [name, holds] : invariants_) {
    bool ok = false;
    try {
      ok = holds();
    } catch (...) {  // it runs inside steps, some of them in destructors: never let it out
      fail("invariant threw: " + name);
      return;
    }
    if (!ok) {
      fail("invariant broken: " + name);
      return;
    }
  }
}

// --- SimReport ------------------------------------------------------------------------

std::string SimReport::summary() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%zu seed%s in %.2f s: %.0f seeds/s, combined trace hash %s", runs,
                runs == 1 ? "" : "s", seconds, seeds_per_second(), hex(combined_hash).c_str());
  std::string s = buf;
  if (failure) s += "; FAILED at seed " + std::to_string(failure->seed);
  return s;
}

std::string SimReport::describe() const {
  if (!failure) return {};
  const SimRun& f = *failure;
  std::string s = "simulation failed: seed " + std::to_string(f.seed) + ", at step " +
                  std::to_string(f.failure_step) + ": " + f.failure + "\n";
  if (faults_at_failure) {
    s += "  faults injected: " + std::to_string(*faults_at_failure);
    if (f.fault_budget != SimContext::kUnlimited) {
      s += "; the smallest fault budget that still fails: " + std::to_string(f.fault_budget) +
           " (" + std::to_string(f.faults) + " injected)";
    }
    s += "\n";
  }
  s += "  trace hash " + hex(f.trace_hash) + " over " + std::to_string(f.steps) + " steps\n";
  s += "  the trace's last events:\n" + f.trace_tail;
  s += "  replay: " + replay + "\n";
  return s;
}

// --- Simulation -------------------------------------------------------------------------

Simulation::Simulation(SimOptions options) : options_(std::move(options)) {
  if (options_.replay_command.empty()) options_.replay_command = program_path();
  if (!options_.from_environment) return;
  if (auto runs = env_number("TROUPE_SIM_RUNS")) options_.runs = static_cast<std::size_t>(*runs);
  if (auto base = env_number("TROUPE_SIM_BASE_SEED")) options_.base_seed = *base;
  only_seed_ = env_number("TROUPE_SIM_SEED");
  if (auto faults = env_number("TROUPE_SIM_FAULTS")) {
    fault_budget_ = static_cast<std::size_t>(*faults);
  }
  if (auto trace = env_number("TROUPE_SIM_TRACE")) print_trace_ = static_cast<std::size_t>(*trace);
}

std::vector<std::uint64_t> Simulation::seeds() const {
  if (only_seed_) return {*only_seed_};
  std::vector<std::uint64_t> out;
  out.reserve(options_.runs);
  for (std::size_t i = 0; i < options_.runs; ++i) out.push_back(options_.base_seed + i);
  return out;
}

std::string Simulation::replay_command(std::uint64_t seed, std::size_t fault_budget) const {
  std::string s = "TROUPE_SIM_SEED=" + std::to_string(seed) + " ";
  if (fault_budget != SimContext::kUnlimited) {
    s += "TROUPE_SIM_FAULTS=" + std::to_string(fault_budget) + " ";
  }
  return s + options_.replay_command;
}

SimRun Simulation::run_seed(std::uint64_t seed, const Body& body, std::size_t fault_budget) const {
  SimRun r;
  r.seed = seed;
  r.fault_budget = fault_budget;
  SimContext sim(seed, fault_budget, options_.scheduler);
  try {
    body(sim);
  } catch (const SimHalted&) {
    // A check failed: already recorded.
  } catch (const std::exception& e) {
    sim.fail(std::string("the test body threw: ") + e.what());
  } catch (...) {
    sim.fail("the test body threw an exception that is not a std::exception");
  }
  r.failed = sim.failed();
  if (r.failed) {
    r.failure = sim.failure();
    r.failure_step = sim.failure_step();
  }
  r.steps = sim.scheduler().steps();
  r.faults = sim.faults();
  r.trace_hash = sim.scheduler().trace().hash();
  const std::size_t tail = std::max(print_trace_, r.failed ? options_.trace_tail : 0);
  if (tail > 0) r.trace_tail = sim.scheduler().trace().format(tail);
  if (print_trace_ > 0) {
    std::fprintf(
        stderr, "[sim] seed %llu (fault budget %s): %s, trace hash %s, %llu steps\n%s",
        static_cast<unsigned long long>(seed),
        fault_budget == SimContext::kUnlimited ? "unlimited" : std::to_string(fault_budget).c_str(),
        r.failed ? "FAILED" : "passed", hex(r.trace_hash).c_str(),
        static_cast<unsigned long long>(r.steps), r.trace_tail.c_str());
  }
  return r;
}

SimReport Simulation::run(const Body& body) const {
  SimReport report;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t combined = 0xcbf29ce484222325ULL;
  for (std::uint64_t seed : seeds()) {
    SimRun r = run_seed(seed, body, fault_budget_);
    ++report.runs;
    for (int i = 0; i < 8; ++i) {
      combined ^= (r.trace_hash >> (8 * i)) & 0xff;
      combined *= 0x100000001b3ULL;
    }
    if (!r.failed) continue;
    report.faults_at_failure = r.faults;
    if (options_.shrink && r.faults > 0) {
      for (std::size_t k = 0; k < r.faults; ++k) {
        SimRun smaller = run_seed(seed, body, k);
        if (smaller.failed) {
          r = std::move(smaller);
          break;
        }
      }
      if (r.fault_budget == SimContext::kUnlimited) r.fault_budget = r.faults;
    }
    report.replay = replay_command(r.seed, r.fault_budget);
    report.failure = std::move(r);
    break;
  }
  report.combined_hash = combined;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace troupe
