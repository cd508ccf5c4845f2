// The lifecycle of an actor: its phases (the transition table is on
// ActorPhase, lifecycle.hpp), the message loop that moves it through them,
// and its one end (finalize), orderly or at runtime shutdown.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_extras.hpp>
#include <troupe/actor/detail/handler_span.hpp>
#include <troupe/actor/detail/lifecycle.hpp>
#include <troupe/runtime/detail/metrics_counters.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe::detail {

ActorCellBase::ActorCellBase(SystemCore& system, ActorCellBase* parent,
                             const MailboxOptions& mailbox)
    : TaskHeader(system.scheduler(), 3),  // owner list, run queue, the first ActorRef
      mailbox_(mailbox.capacity),
      overflow_(mailbox.overflow),
      system_(&system),
      parent_(parent ? CellPtr(*parent) : nullptr),
      id_(system.next_id()) {
  tag = kActorCellTag;  // see PendingAsk
  system.actor_started();
  count_actor_started();
}

ActorCellBase::~ActorCellBase() {
  // Acquire: the extras may have been made by another thread (a monitor
  // request); the last reference's release ordered everything else.
  delete extras_.load(std::memory_order_acquire);
}

CellExtras& ActorCellBase::extras() {
  // Acquire: pairs with the compare-and-swap that installed them, so that
  // their construction is visible.
  CellExtras* x = extras_.load(std::memory_order_acquire);
  if (x) return *x;
  auto fresh = std::make_unique<CellExtras>();
  // seq_cst on success: with finalize's seq_cst store of stopped_ and load
  // of extras_, and the caller's seq_cst load of stopped_ (stopped()),
  // this is a store-load pair both ways, which acquire/release does not
  // order: either finalize sees these extras (and closes their relations),
  // or the caller sees the stop. Acquire on failure: another thread's.
  if (extras_.compare_exchange_strong(x, fresh.get(), std::memory_order_seq_cst,
                                      std::memory_order_acquire)) {
    return *fresh.release();
  }
  return *x;
}

void ActorCellBase::start(ActorCellBase& cell) {
  Scheduler& s = *cell.scheduler;
  const bool accepted = cell.parent_ || cell.system_->add_top_level(cell);
  if (accepted && s.bind(cell)) {
    s.schedule(cell, ScheduleHint::kSpawn);
    return;
  }
  // The system or the runtime is shutting down: the actor never runs.
  if (accepted && !cell.parent_) cell.system_->remove_top_level(cell);
  cell.owner_shard = kUnowned;
  CellPtr::adopt(&cell).reset();  // the owner list's reference (see the constructor), unused
  cell.cancel();
  cell.run();  // destroy_frame() here; drops the run queue's reference
}

void ActorCellBase::request_stop(ExitReason reason) noexcept {
  if (stop_requested_) return;
  stop_requested_ = true;
  set_exit_reason(reason);
}

void ActorCellBase::set_receive_timeout(Duration d) {
  LifecycleExtras& l = extras().lifecycle;
  l.receive_timeout = d;
  l.idle_timer.reset();
}

void ActorCellBase::set_stop_when_idle(Duration d) { extras().lifecycle.stop_when_idle = d; }

// --- The message loop ------------------------------------------------------------

bool ActorCellBase::poll() noexcept {
  // Messages per run before giving the worker to other tasks (Tokio's task
  // budget is 128 too: long enough that a backlog is worked off while its
  // nodes are still in the cache, short enough for fairness).
  constexpr int kBudget = 128;
  int budget = kBudget;
  // For troupe_messages_handled_total: one add to this thread's counter
  // per run, not per message.
  struct Handled {
    std::uint64_t n = 0;
    ~Handled() {
      if (n != 0) count_messages_handled(n);
    }
  } handled;
  for (;;) {
    // System messages first; on almost every turn there are none, which
    // one load says.
    if (!system_queue_.idle()) [[unlikely]] {
      if (take_system_messages()) return true;
    }

    if (handler_running()) {
      // A traced coroutine handler's trace is current while it runs, on
      // whichever worker polls it.
      HandlerSpan* span = running_span();
      if (span) span->resume();
      const bool advanced = driver.advance();
      if (span) span->pause();
      if (!advanced || !current_.handle().done()) return false;  // it waits
      finish_handler();
      continue;
    }
    if (stop_requested_ && phase_ == ActorPhase::kRunning) {
      stop_requested_ = false;
      begin_stop(exit_reason());
      continue;
    }
    switch (phase_) {
      case ActorPhase::kStarting:
        phase_ = ActorPhase::kRunning;
        try {
          run_task(start_instance());
        } catch (...) {
          fail(std::current_exception());
        }
        continue;
      case ActorPhase::kSuspended:
      case ActorPhase::kStopping:
        return false;  // only a system message moves it on
      case ActorPhase::kDone:
        return true;
      case ActorPhase::kRunning:
        break;
    }
    if (--budget == 0) {
      wake();  // while running: it is queued again after this run
      return false;
    }
    ChannelOutcome outcome;
    MpscNode* node = mailbox_.poll(outcome, [] { return true; });
    if (node == nullptr) {
      if (outcome == ChannelOutcome::kClosed) {
        begin_stop(ExitReason::normal());  // a graceful stop, drained
        continue;
      }
      // Acquire: see extras(). Without extras there are no idle clocks.
      if (CellExtras* x = extras_.load(std::memory_order_acquire)) {
        switch (idle_check(x->lifecycle)) {
          case Idle::kWaiting:
            break;
          case Idle::kReceiveTimeout:
            try {
              deliver_receive_timeout();
            } catch (...) {
              fail(std::current_exception());
            }
            continue;
          case Idle::kStop:
            request_stop(ExitReason::normal());
            continue;
        }
      }
      return false;  // parked: the next push, post or an idle timer wakes it
    }
    // Acquire: see extras().
    if (CellExtras* x = extras_.load(std::memory_order_acquire)) x->lifecycle.disarm_idle_timers();
    auto* e = static_cast<EnvelopeBase*>(node);
    Task<void> t;
    try {
      if (e->trace()) [[unlikely]] {
        deliver_traced(*e);  // the same, under its trace (handler_span.cpp)
      } else {
        t = deliver(*e);
      }
    } catch (...) {
      delete e;
      fail(std::current_exception());
      continue;
    }
    delete e;
    ++handled.n;
    if (t) run_task(std::move(t));
  }
}

bool ActorCellBase::take_system_messages() noexcept {
  // A coroutine handler holds them back, except a Stop, which cancels it.
  // Either way the system queue is left armed.
  if (handler_running() && system_queue_.stop_pending()) current_.reset();
  while (!handler_running()) {
    SystemMessage* m = system_queue_.pop();
    if (m == nullptr) break;
    handle_system(*m);
    delete m;
    if (phase_ == ActorPhase::kDone) return true;
  }
  return phase_ == ActorPhase::kDone;
}

void ActorCellBase::run_task(Task<void> t) noexcept {
  if (!t) return;
  drop_span();  // a cancelled handler's, if any
  current_ = std::move(t);
  auto h = current_.handle();
  h.promise().set_driver(&driver, {});
  driver.park(h, nullptr, nullptr);
}

void ActorCellBase::finish_handler() noexcept {
  Task<void> done = std::move(current_);
  try {
    done.handle().promise().result.get();
  } catch (...) {
    end_running_span(/*threw=*/true);
    fail(std::current_exception());
    return;
  }
  end_running_span(/*threw=*/false);
}

// The mailbox is empty: arms the idle timers that are set (or polls
// them). A timer that fired is disarmed, so its clock starts over.
ActorCellBase::Idle ActorCellBase::idle_check(LifecycleExtras& l) noexcept {
  Context cx(*this);
  if (l.stop_when_idle > Duration::zero()) {
    if (!l.stop_timer) l.stop_timer.emplace(sleep_for(l.stop_when_idle));
    if (l.stop_timer->poll(cx)) {
      l.stop_timer.reset();
      return Idle::kStop;
    }
  }
  if (l.receive_timeout > Duration::zero()) {
    if (!l.idle_timer) l.idle_timer.emplace(sleep_for(l.receive_timeout));
    if (l.idle_timer->poll(cx)) {
      l.idle_timer.reset();
      return Idle::kReceiveTimeout;
    }
  }
  return Idle::kWaiting;
}

// Read by other threads too, once they have seen the actor stopped (which
// orders the writes before it).
ExitReason ActorCellBase::exit_reason() const noexcept {
  CellExtras* x = extras_.load(std::memory_order_acquire);  // acquire: see extras()
  return ExitReason::of(exit_kind_, x ? x->lifecycle.exit_error : nullptr);
}

void ActorCellBase::set_exit_reason(const ExitReason& reason) noexcept {
  exit_kind_ = reason.kind();
  if (reason.error()) {
    try {
      extras().lifecycle.exit_error = reason.error();
    } catch (...) {  // no memory for the error itself: the kind remains
    }
  } else if (CellExtras* x = extras_.load(std::memory_order_acquire)) {  // see extras()
    x->lifecycle.exit_error = nullptr;
  }
}

void ActorCellBase::handle_system(SystemMessage& m) noexcept {
  using Kind = SystemMessage::Kind;
  const bool alive = phase_ == ActorPhase::kRunning || phase_ == ActorPhase::kSuspended;
  switch (m.kind) {
    case Kind::kStop:
      begin_stop(m.reason);
      return;
    case Kind::kRestart:
      // Counted even when it finds a fresh instance not started yet (a
      // second restart that coalesces with the first): the instance that
      // starts is the answer to both (see supervise).
      ++restarts_;
      if (alive) restart();
      return;
    case Kind::kChildFailed:
      if (alive) supervise(*m.from, m.reason, m.instance);
      return;
    case Kind::kChildStopped: {
      // Acquire: see extras(); they are there, as the child was adopted.
      CellExtras* x = extras_.load(std::memory_order_acquire);
      if (x == nullptr) return;
      x->supervision.forget(*m.from);
      const bool last = x->relations.remove_child(*m.from);
      if (last && phase_ == ActorPhase::kStopping) finalize(/*notify=*/true);
      return;
    }
    case Kind::kDown:
    case Kind::kExit:
      break;
  }
  if (phase_ != ActorPhase::kRunning) return;  // Down/Exit only reach a running instance
  try {
    if (m.kind == Kind::kDown) {
      deliver_down(Down{m.from_id, m.reason, m.from_node});
    } else if (!deliver_exit(Exit{m.from_id, m.reason})) {
      begin_stop(ExitReason::linked(m.reason.error()));
    }
  } catch (...) {
    fail(std::current_exception());
  }
}

// --- Transitions -------------------------------------------------------------------

// kRunning -> kSuspended: failed, its supervisor decides (supervision.cpp).
void ActorCellBase::suspend(const ExitReason& reason) noexcept {
  phase_ = ActorPhase::kSuspended;
  set_exit_reason(reason);
}

// kRunning or kSuspended -> kStarting: the old instance and its children go;
// the new instance makes its own.
void ActorCellBase::restart() noexcept {
  count_actor_restart();
  current_.reset();
  const ExitReason why = exit_reason();
  stop_instance(why.is_abnormal() ? why : ExitReason::stopped());
  if (CellExtras* x = extras_.load(std::memory_order_acquire)) {  // acquire: see extras()
    x->relations.for_each_child([](ActorCellBase& c) { c.stop_now(ExitReason::stopped()); });
  }
  stop_requested_ = false;
  set_exit_reason(ExitReason::normal());
  phase_ = ActorPhase::kStarting;
}

// -> kStopping: queued messages become dead letters, the children are asked
// to stop, and the actor ends when the last of them has.
void ActorCellBase::begin_stop(ExitReason reason) noexcept {
  if (ending()) return;
  current_.reset();
  set_exit_reason(reason);
  discard_mailbox();
  phase_ = ActorPhase::kStopping;
  std::size_t children = 0;
  if (CellExtras* x = extras_.load(std::memory_order_acquire)) {  // acquire: see extras()
    const bool shutdown = exit_kind_ == ExitReason::Kind::kShutdown;
    children = x->relations.for_each_child([&](ActorCellBase& c) {
      c.stop_now(shutdown ? ExitReason::shutdown() : ExitReason::stopped());
    });
  }
  if (children == 0) finalize(/*notify=*/true);  // else when the last ChildStopped arrives
}

// -> kDone, the one end of every actor. The instance goes, then its
// relations close; `notify`: its watchers, links and parent are told (not
// at runtime shutdown, when they are going too, unordered). Its references
// to other actors are dropped before it counts itself finished.
void ActorCellBase::finalize(bool notify) noexcept {
  const ExitReason why = exit_reason();
  stop_instance(why);
  release_args();
  // Seq_cst store, then seq_cst load: see extras().
  stopped_.store(true, std::memory_order_seq_cst);
  CellExtras* x = extras_.load(std::memory_order_seq_cst);
  std::string name;
  {
    Relations::Severed gone;
    if (x) {
      x->lifecycle.disarm_idle_timers();
      gone = x->relations.close();
    }
    if (notify) {
      for (const CellPtr& w : gone.watchers) w->post(SystemMessage::Kind::kDown, this, why);
      if (why.is_abnormal()) {
        for (const CellPtr& l : gone.links) l->post(SystemMessage::Kind::kExit, this, why);
      }
      if (parent_) parent_->post(SystemMessage::Kind::kChildStopped, this, why);
    }
    name = std::move(gone.name);
  }  // the references in `gone` go here
  if (!parent_) system_->remove_top_level(*this);
  if (!name.empty()) system_->unregister(name, *this);
  system_queue_.close_and_discard();
  phase_ = ActorPhase::kDone;
  system_->actor_finished();  // last: the system may go once none is left
}

void ActorCellBase::discard_mailbox() noexcept {
  mailbox_.discard_all([this](MpscNode* n) {
    dead_letter(static_cast<EnvelopeBase*>(n), DeadLetterReason::kStopped, AskError::kDeadActor);
  });
}

// The runtime under the actor shuts down (or the actor never started): no
// time for an orderly stop, but nothing may leak and asks must not hang.
void ActorCellBase::destroy_frame() noexcept {
  if (phase_ == ActorPhase::kDone) return;
  current_.reset();
  discard_mailbox();
  set_exit_reason(ExitReason::shutdown());
  finalize(/*notify=*/false);
}

}  // namespace troupe::detail
