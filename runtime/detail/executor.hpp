#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <troupe/runtime/detail/inject_queue.hpp>
#include <troupe/runtime/detail/local_queue.hpp>
#include <troupe/runtime/detail/owned_tasks.hpp>
#include <troupe/runtime/detail/reactor.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/timer_queue.hpp>

namespace troupe::detail {

/// The multi-threaded work-stealing scheduler behind Runtime.
///
/// Each worker thread has a LIFO slot (the task it woke last, so a
/// ping-pong pair stays on one hot core), a bounded LocalQueue that other
/// workers steal half of when they run dry, and shares one InjectQueue for
/// work that comes from outside. Stealing is patient (see
/// kStealDelayPauses): a task that its own worker is about to run stays
/// there. Idle workers park on a futex; a push wakes one only if nobody is
/// already searching for work. A driver thread waits in epoll for I/O and
/// the next timer deadline. Public members are thread-safe.
class Executor final : public Scheduler {
 public:
  explicit Executor(std::size_t workers);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor();

  // Scheduler
  void schedule(TaskHeader& task, ScheduleHint hint) noexcept override;
  bool bind(TaskHeader& task) noexcept override;
  void unbind(TaskHeader& task) noexcept override { owned_.unbind(task); }
  Instant now() const noexcept override { return Clock::now(); }
  TimerQueue& timers() noexcept override { return timers_; }
  Reactor* reactor() noexcept override { return &reactor_; }

  /// Cancels every task, waits until all are gone, stops every thread.
  /// Idempotent; must not be called from one of this executor's workers.
  void shutdown();
  bool on_worker_thread() const noexcept;
  std::size_t worker_count() const noexcept { return workers_.size(); }
  std::size_t live_tasks() const noexcept { return owned_.size(); }

  struct Worker;  // defined in executor.cpp

 private:
  void run_worker(Worker& w);
  TaskHeader* next_task(Worker& w) noexcept;
  TaskHeader* steal(Worker& w, bool& pending) noexcept;
  TaskHeader* search(Worker& w) noexcept;
  void push_local(Worker& w, TaskHeader* t) noexcept;
  bool has_work_anywhere() const noexcept;
  void notify_one() noexcept;
  void park(Worker& w) noexcept;
  void stop_searching(Worker& w) noexcept;
  void run_driver();
  void on_earlier_timer(Instant deadline) noexcept;

  std::vector<std::unique_ptr<Worker>> workers_;
  InjectQueue inject_;
  OwnedTasks owned_;
  Reactor reactor_;
  TimerQueue timers_;
  // When the driver's next sleep ends (Instant ticks; 0 while it is awake
  // and has yet to look at the timers): a timer armed for later needs no
  // interrupt, the driver wakes in time to see it. Bounded by kDriverTick,
  // so that a timer far away (an ask's deadline) never costs a wake-up.
  std::atomic<Instant::rep> driver_sleeps_until_{0};

  // Stealing. A worker that runs dry steals from another's queue only if
  // that queue's front task is still there after it waited
  // kStealDelayPauses PAUSEs (about 25 us on the EPYC this was tuned on):
  // the owner is in a long task, and one that long is worth a move.
  // Otherwise the owner runs the task soon itself, and moving it would move
  // the data it works on, and the data of everything it talks to, between
  // the cores' caches: where tasks hand messages to each other (a producer
  // and a consumer, a sender waiting for room, a driver and 60 workers)
  // that costs more than the second core gains. fan_in and fork_join with
  // bounded mailboxes ran 2 to 4 times slower with eager stealing, and 2
  // times slower with a 2.5 us wait, which fork_join's driver (sending for
  // 40-80 us between two waits for room) outlasts (bench/README.md). A
  // queue half full (kStealAtOnce) is stolen from at once. A worker looks
  // again up to kSearchRounds times while some queue is not empty, then
  // tries to park (which it does not while there is work anywhere).
  static constexpr std::uint32_t kStealAtOnce = LocalQueue::kCapacity / 2;
  static constexpr int kStealDelayPauses = 1000;
  static constexpr int kSearchRounds = 64;
  static constexpr std::uint64_t kNotSeen = ~std::uint64_t{0};

  // Parking. One word counts the workers searching for work after a
  // wake-up (low half) and those in `sleepers_` (high half, changed under
  // sleep_mutex_). Both counts share a word so that a notifier and a parking
  // worker meet in one modification order: see notify_one().
  static constexpr std::uint64_t kSearchingOne = 1;
  static constexpr std::uint64_t kIdleOne = std::uint64_t{1} << 32;
  static std::uint32_t searching(std::uint64_t c) noexcept { return static_cast<std::uint32_t>(c); }
  static std::uint32_t idle(std::uint64_t c) noexcept {
    return static_cast<std::uint32_t>(c >> 32);
  }
  std::mutex sleep_mutex_;
  std::vector<Worker*> sleepers_;
  std::atomic<std::uint64_t> counts_{0};

  std::atomic<bool> stopping_{false};
  std::once_flag shutdown_once_;
  std::vector<std::thread> threads_;
  std::thread driver_;
};

}  // namespace troupe::detail
