#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/detail/cpu_relax.hpp>
#include <troupe/runtime/detail/executor.hpp>
#include <troupe/runtime/detail/metrics_counters.hpp>

namespace troupe::detail {

constinit thread_local std::uint32_t tls_budget = kNoBudget;

struct Executor::Worker {
  Worker(Executor& e, std::size_t i)
      : executor(&e), index(i), rng(0x9E3779B97F4A7C15ull * (i + 1)) {}

  Executor* executor;
  std::size_t index;
  LocalQueue queue;
  // Owner-only state.
  TaskHeader* lifo = nullptr;
  std::uint32_t lifo_streak = 0;
  std::uint32_t tick = 0;
  bool searching = false;
  std::uint64_t rng;
  // What this worker saw of each other worker's queue on its last look
  // (see steal): its `taken()` count, or kNotSeen while it was empty.
  std::vector<std::uint64_t> seen;
  // Park token: set by a notifier, consumed by the worker.
  std::atomic<std::uint32_t> unparked{0};

  std::uint64_t next_random() noexcept {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  }
};

namespace {
thread_local Executor::Worker* tls_worker = nullptr;

// Fairness knobs, as in Tokio: every kGlobalQueueInterval ticks the inject
// queue goes first; at most kMaxLifoStreak tasks in a row come from the LIFO
// slot before the local queue gets a turn.
constexpr std::uint32_t kGlobalQueueInterval = 61;
constexpr std::uint32_t kMaxLifoStreak = 3;
// The longest the driver sleeps: it wakes at least this often (an idle
// cost of one wake-up a second) so that timers armed further out than
// this never need to interrupt it.
constexpr Duration kDriverTick = std::chrono::seconds(1);
// After events, the driver keeps looking (epoll_wait without sleeping) for
// this long before it sleeps: a reply that comes within it is dispatched
// without waking the driver thread first, as Erlang's schedulers busy-wait
// a little before they sleep. 15 us took remote_ping_pong from 11,500 to
// 18,200 round trips/s (8 interleaved rounds; 30 us: 13,900, 100 us:
// 7,600, the spinning thread taking the core the other node needs).
constexpr Duration kDriverSpin = std::chrono::microseconds(15);
}  // namespace

Executor::Executor(std::size_t workers)
    : owned_(workers + 1), timers_([this](Instant deadline) { on_earlier_timer(deadline); }) {
  if (workers == 0) workers = 1;
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>(*this, i));
  for (auto& w : workers_) w->seen.assign(workers, kNotSeen);
  threads_.reserve(workers);
  for (auto& w : workers_) threads_.emplace_back([this, wp = w.get()] { run_worker(*wp); });
  driver_ = std::thread([this] { run_driver(); });
}

Executor::~Executor() { shutdown(); }

bool Executor::on_worker_thread() const noexcept {
  return tls_worker != nullptr && tls_worker->executor == this;
}

bool Executor::bind(TaskHeader& task) noexcept {
  Worker* w = tls_worker;
  const std::size_t shard = (w && w->executor == this) ? w->index : workers_.size();
  return owned_.bind(task, shard);
}

void Executor::schedule(TaskHeader& task, ScheduleHint hint) noexcept {
  Worker* w = tls_worker;
  if (w && w->executor == this) {
    if (hint == ScheduleHint::kWake) {
      // The freshly woken task runs next on this worker (its data is hot);
      // the one it displaces becomes stealable.
      TaskHeader* displaced = std::exchange(w->lifo, &task);
      if (displaced == nullptr) return;
      push_local(*w, displaced);
    } else {
      push_local(*w, &task);
    }
  } else {
    inject_.push(&task);
  }
  notify_one();
}

void Executor::push_local(Worker& w, TaskHeader* t) noexcept {
  if (w.queue.push(t)) return;
  // Full: move half of it, plus t, to the inject queue in one batch.
  TaskHeader* batch[LocalQueue::kCapacity / 2];
  const std::uint32_t n = w.queue.pop_batch(batch, LocalQueue::kCapacity / 2);
  for (std::uint32_t i = 0; i + 1 < n; ++i) batch[i]->queue_next = batch[i + 1];
  if (n == 0) {
    inject_.push(t);
    return;
  }
  batch[n - 1]->queue_next = t;
  inject_.push_batch(batch[0], t, n + 1);
}

TaskHeader* Executor::next_task(Worker& w) noexcept {
  ++w.tick;
  if (w.tick % kGlobalQueueInterval == 0) {
    if (TaskHeader* t = inject_.pop()) return t;
  }
  if (w.lifo) {
    if (w.lifo_streak < kMaxLifoStreak) {
      ++w.lifo_streak;
      return std::exchange(w.lifo, nullptr);
    }
    push_local(w, std::exchange(w.lifo, nullptr));
  }
  w.lifo_streak = 0;
  if (TaskHeader* t = w.queue.pop()) return t;
  if (TaskHeader* t = inject_.pop()) return t;
  return nullptr;
}

TaskHeader* Executor::steal(Worker& w, bool& pending) noexcept {
  const std::size_t n = workers_.size();
  const std::size_t start = static_cast<std::size_t>(w.next_random() % n);
  pending = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t v = (start + i) % n;
    Worker& victim = *workers_[v];
    if (&victim == &w) continue;
    const std::uint32_t queued = victim.queue.size();
    if (queued == 0 || queued > LocalQueue::kCapacity) {  // empty, or a torn read
      w.seen[v] = kNotSeen;
      continue;
    }
    const std::uint64_t taken = victim.queue.taken();
    if (queued >= kStealAtOnce || w.seen[v] == taken) {
      w.seen[v] = kNotSeen;
      if (TaskHeader* t = victim.queue.steal_into(w.queue)) return t;
      continue;
    }
    w.seen[v] = taken;
    pending = true;
  }
  return nullptr;
}

TaskHeader* Executor::search(Worker& w) noexcept {
  for (int round = 0;; ++round) {
    bool pending = false;
    if (TaskHeader* t = steal(w, pending)) return t;
    if (!pending || round == kSearchRounds) return nullptr;
    // A short queue whose owner is taking from it: look again in a while.
    for (int i = 0; i < kStealDelayPauses; ++i) cpu_relax();
    if (TaskHeader* t = inject_.pop()) return t;
    if (stopping_.load(std::memory_order_acquire)) return nullptr;
  }
}

bool Executor::has_work_anywhere() const noexcept {
  if (!inject_.empty()) return true;
  return std::any_of(workers_.begin(), workers_.end(),
                     [](const auto& w) { return !w->queue.empty(); });
}

void Executor::notify_one() noexcept {
  // A read-modify-write, not a load: it reads the latest counts, and it is
  // ordered against park()'s update of the same word. If this comes first,
  // the parking worker's update reads from it, synchronises with it, and its
  // re-check sees the work pushed before this call; if the parking worker
  // comes first, this sees it idle (or still searching) here. A load after
  // a seq_cst fence would do the same, but TSan cannot check fences.
  const std::uint64_t c = counts_.fetch_add(0, std::memory_order_acq_rel);
  if (searching(c) != 0) return;  // a searcher re-checks before it parks
  if (idle(c) == 0) return;
  Worker* w;
  {
    std::lock_guard lock(sleep_mutex_);
    if (sleepers_.empty()) return;
    w = sleepers_.back();
    sleepers_.pop_back();
    // The woken worker counts as searching from now on, so that other
    // pushes meanwhile do not wake a second one for nothing.
    counts_.fetch_add(kSearchingOne - kIdleOne, std::memory_order_acq_rel);
  }
  w->unparked.store(1, std::memory_order_release);
  w->unparked.notify_one();
}

void Executor::stop_searching(Worker& w) noexcept {
  w.searching = false;
  // The last searcher found work. Pushes made while it searched woke
  // nobody (a searcher would find them): if any of that work is still
  // queued, wake a helper for it. Their pushes came before their reads of
  // counts_, which this update follows (or they saw no searcher and woke a
  // worker themselves), so the queues read below show them. Only then:
  // waking a helper for nothing, on every wake of a parked worker, was a
  // futex wake, a spin and a park more per message between two nodes.
  const std::uint64_t prev = counts_.fetch_sub(kSearchingOne, std::memory_order_acq_rel);
  if (searching(prev) == 1 && has_work_anywhere()) notify_one();
}

void Executor::park(Worker& w) noexcept {
  {
    std::lock_guard lock(sleep_mutex_);
    sleepers_.push_back(&w);
    // Idle and no longer searching in one step: a notifier must never see
    // this worker as neither (it would wake nobody, and this worker would
    // sleep on the work).
    counts_.fetch_add(kIdleOne - (w.searching ? kSearchingOne : 0), std::memory_order_acq_rel);
    w.searching = false;
  }
  // Work pushed before a notifier's update of counts_ that came before ours
  // is visible now (see notify_one); anything later will wake us.
  if (has_work_anywhere() || stopping_.load(std::memory_order_acquire)) {
    std::unique_lock lock(sleep_mutex_);
    auto it = std::find(sleepers_.begin(), sleepers_.end(), &w);
    if (it != sleepers_.end()) {
      sleepers_.erase(it);
      counts_.fetch_sub(kIdleOne, std::memory_order_acq_rel);
      return;
    }
    // A notifier already claimed this worker (and counted it as
    // searching); its token is on the way: take it below.
  }
  worker_parks();  // for troupe_worker_busy_ratio; a sleep is no hot path
  while (w.unparked.exchange(0, std::memory_order_acquire) == 0) {
    w.unparked.wait(0, std::memory_order_acquire);
  }
  worker_unparks();
  w.searching = true;
}

void Executor::run_worker(Worker& w) {
  tls_worker = &w;
  set_current_scheduler(this);
  worker_begins();
  for (;;) {
    TaskHeader* t = next_task(w);
    if (t == nullptr) t = search(w);
    if (t != nullptr) {
      if (w.searching) stop_searching(w);
      tls_budget = kTaskBudget;
      t->run();
      continue;
    }
    if (stopping_.load(std::memory_order_acquire)) break;
    park(w);
  }
  if (w.searching) stop_searching(w);
  tls_budget = kNoBudget;
  worker_ends();
  set_current_scheduler(nullptr);
  tls_worker = nullptr;
}

// The driver and the arming workers meet on driver_sleeps_until_ (seq_cst):
// a worker arms its timer, then reads when the driver means to wake; the
// driver publishes that, then looks at the timers once more. Either the
// worker sees a wake-up time after its deadline and interrupts, or it sees
// the driver awake (0) or waking in time, and then the driver's second look
// finds the new timer.
void Executor::on_earlier_timer(Instant deadline) noexcept {
  const Instant::rep until = driver_sleeps_until_.load();
  if (until != 0 && deadline.time_since_epoch().count() < until) reactor_.interrupt();
}

void Executor::run_driver() {
  Instant busy_until{};  // until then, look for events without sleeping
  for (;;) {
    driver_sleeps_until_.store(0);
    const Instant now = Clock::now();
    const auto next = timers_.fire_due(now);
    if (stopping_.load(std::memory_order_acquire)) return;
    Instant until = now + kDriverTick;
    if (next && *next < until) until = *next;
    driver_sleeps_until_.store(until.time_since_epoch().count());
    if (const auto again = timers_.next_deadline(); again && *again < until) continue;
    const Instant before = Clock::now();
    const int got = reactor_.poll(before < busy_until ? before : until, before);
    if (got > 0) busy_until = Clock::now() + kDriverSpin;
  }
}

void Executor::shutdown() {
  if (on_worker_thread()) {
    throw std::logic_error("troupe: a runtime cannot be shut down from one of its own tasks");
  }
  std::call_once(shutdown_once_, [this] {
    begin_closing();
    owned_.close_and_cancel_all();
    owned_.wait_empty();
    stopping_.store(true, std::memory_order_release);
    reactor_.interrupt();
    driver_.join();
    {
      std::lock_guard lock(sleep_mutex_);
      for (Worker* w : sleepers_) {
        // Woken workers count as searching, as after notify_one(): each
        // leaves that state once, on its way out.
        counts_.fetch_add(kSearchingOne - kIdleOne, std::memory_order_acq_rel);
        w->unparked.store(1, std::memory_order_release);
        w->unparked.notify_one();
      }
      sleepers_.clear();
    }
    for (auto& t : threads_) t.join();
    // Every task has finished; whatever is still queued only holds a
    // reference to drop.
    for (auto& w : workers_) {
      if (w->lifo) std::exchange(w->lifo, nullptr)->run();
      while (TaskHeader* t = w->queue.pop()) t->run();
    }
    while (TaskHeader* t = inject_.pop()) t->run();
  });
}

}  // namespace troupe::detail
