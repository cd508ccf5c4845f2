// The compiler's side of coroutines: patterns a compiler has been seen to
// miscompile, each checked the way the runtime's users write it. A failure
// here is a compiler bug, not a runtime one: the README ("Compilers") says
// which pattern to avoid on which compiler.
//
// g++ 12.2 (Debian 12.2.0-14): a co_await whose operand is a temporary (a
// call's result such as `co_await task()`, or `co_await Awaiter{}`) written
// directly in the condition of an if, while, for, do-while or switch can be
// resumed at the wrong suspension point: in the reductions below, resuming
// the coroutine runs that await's await_suspend again instead of
// await_resume, so the statement after it never runs (a void await_suspend
// parks the coroutine for good; one that transfers to another coroutine
// recurses until the stack overflows; destroying the frame can hit a trap,
// SIGILL). Whether it strikes depends on the rest of the function (a local
// declared before the `if` can hide it), so code that has the pattern and
// passes its tests is not safe. Binding the awaited value to a variable
// first, or co_awaiting an lvalue awaitable, is compiled correctly; clang 14
// compiles all of them correctly.

#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <gtest/gtest.h>

#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

namespace {

using troupe::Task;

// --- The reduction: no runtime, the smallest coroutine type. ---------------

/// Counts what the coroutine machinery calls; suspends once, resumes with
/// true.
struct CcCountingAwaiter {
  int* suspends;
  int* resumes;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept { ++*suspends; }
  bool await_resume() const noexcept {
    ++*resumes;
    return true;
  }
};

/// A coroutine that starts eagerly and is resumed by hand.
struct CcEager {
  struct promise_type {
    CcEager get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

struct CcCounts {
  int suspends = 0;
  int resumes = 0;
  int after = 0;  // the statement after the await ran
};

CcEager cc_await_temporary_in_if(CcCounts& c) {
  if (co_await CcCountingAwaiter{&c.suspends, &c.resumes}) ++c.after;
}

CcEager cc_await_bound_first(CcCounts& c) {
  const bool ok = co_await CcCountingAwaiter{&c.suspends, &c.resumes};
  if (ok) ++c.after;
}

// Resumes the coroutine (suspended at its only await) once, which must run
// it to its end; exits the (death test's) process with 0 if it did. With
// the bug, the resume re-suspends or runs into a trap of g++'s (SIGILL):
// hence a child process.
void cc_run_and_exit(CcEager co, const CcCounts& c) {
  if (!co.handle.done()) co.handle.resume();
  const bool right = co.handle.done() && c.suspends == 1 && c.resumes == 1 && c.after == 1;
  std::fprintf(stderr, "suspends=%d resumes=%d after=%d done=%d\n", c.suspends, c.resumes, c.after,
               co.handle.done() ? 1 : 0);
  std::_Exit(right ? 0 : 1);
}

TEST(CompilerCoroutine, ACoAwaitOfATemporaryInAnIfConditionResumesAfterTheAwait) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        CcCounts c;
        cc_run_and_exit(cc_await_temporary_in_if(c), c);
      },
      ::testing::ExitedWithCode(0), "suspends=1 resumes=1 after=1 done=1")
      << "this compiler resumes a co_await in an if condition at the wrong place: the g++ 12.2 "
         "bug (README, Compilers)";
}

TEST(CompilerCoroutine, ACoAwaitBoundToAVariableFirstResumesAfterTheAwait) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        CcCounts c;
        cc_run_and_exit(cc_await_bound_first(c), c);
      },
      ::testing::ExitedWithCode(0), "suspends=1 resumes=1 after=1 done=1");
}

// --- The same with the runtime's Task, as users write it. ------------------

Task<bool> cc_child(int& runs) {
  ++runs;
  co_return true;
}

Task<int> cc_task_awaited_in_if(int& runs) {
  if (co_await cc_child(runs)) co_return 1;
  co_return 2;
}

Task<int> cc_task_awaited_then_tested(int& runs) {
  const bool ok = co_await cc_child(runs);
  if (ok) co_return 1;
  co_return 2;
}

// Runs the task on a TestExecutor until it is idle, then exits the (death
// test's) process with 0 if the awaited task ran once and its caller
// finished with 1. Exits before the executor would destroy a frame the
// compiler left at a wrong suspension point.
void cc_run_task_and_exit(Task<int> (*body)(int&)) {
  troupe::TestExecutor ex;
  int runs = 0;
  auto h = ex.spawn(body(runs));
  ex.run_until_idle();
  const bool finished = h.is_finished();
  const int value = finished ? h.wait() : 0;
  std::fprintf(stderr, "runs=%d finished=%d value=%d\n", runs, finished ? 1 : 0, value);
  std::_Exit(runs == 1 && value == 1 ? 0 : 1);
}

TEST(CompilerCoroutine, ATaskAwaitedInAnIfConditionRunsAndItsCallerFinishes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(cc_run_task_and_exit(cc_task_awaited_in_if), ::testing::ExitedWithCode(0),
              "runs=1 finished=1 value=1")
      << "the awaited task never ran, or its caller never finished: the g++ 12.2 bug (README, "
         "Compilers)";
}

TEST(CompilerCoroutine, ATaskAwaitedIntoAVariableRunsAndItsCallerFinishes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(cc_run_task_and_exit(cc_task_awaited_then_tested), ::testing::ExitedWithCode(0),
              "runs=1 finished=1 value=1");
}

}  // namespace
