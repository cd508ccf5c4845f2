#pragma once

#include <exception>
#include <new>
#include <optional>
#include <tuple>
#include <typeinfo>
#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// The cell whose instance is being constructed on this thread, so that an
/// actor's constructor can already use `self()` (see Actor).
ActorCellBase*& constructing_cell() noexcept;

/// An actor of class A: the cell, the arguments its instance is (re)made
/// from, and the instance itself, constructed in place on start and on each
/// restart, destroyed on stop. See ActorCellBase for ownership and threads.
template <class A, class... Args>
class ActorCellOf final : public ActorCellBase {
 public:
  template <class... CtorArgs>
  ActorCellOf(SystemCore& system, ActorCellBase* parent, const MailboxOptions& mailbox,
              CtorArgs&&... args)
      : ActorCellBase(system, parent, mailbox),
        args_(std::in_place, std::forward<CtorArgs>(args)...) {}

  A& instance() noexcept { return *std::launder(reinterpret_cast<A*>(storage_)); }

 private:
  ~ActorCellOf() = default;  // only via deallocate()
  void deallocate() noexcept override { delete this; }

  Task<void> start_instance() override {
    struct Constructing {
      ActorCellBase* prev;
      explicit Constructing(ActorCellBase* c) noexcept
          : prev(std::exchange(constructing_cell(), c)) {}
      ~Constructing() { constructing_cell() = prev; }
    };
    {
      Constructing guard(this);
      std::apply([this](const auto&... a) { ::new (static_cast<void*>(storage_)) A(a...); },
                 *args_);
    }
    alive_ = true;
    if constexpr (requires(A & a) { a.on_start(); }) {
      if constexpr (IsTask<decltype(instance().on_start())>::value) {
        return instance().on_start();
      } else {
        instance().on_start();
      }
    }
    return {};
  }

  void stop_instance(const ExitReason& reason) noexcept override {
    if (!alive_) return;
    if constexpr (requires(A & a) { a.on_stop(reason); }) {
      if (!system().abandoned()) {  // a crashed process runs no cleanup
        try {
          instance().on_stop(reason);
        } catch (...) {
          system().log("an actor's on_stop threw; ignored");
        }
      }
    }
    alive_ = false;
    instance().~A();
  }

  void release_args() noexcept override { args_.reset(); }

  Task<void> deliver(EnvelopeBase& e) override {
    return static_cast<Envelope<A>&>(e).deliver(instance());
  }
  bool deliver_down(const Down& d) override {
    if constexpr (Handles<A, Down>) {
      static_assert(!kHandlerIsTask<A, Down>,
                    "handle(const troupe::Down&) must not be a coroutine");
      instance().handle(Down(d));
      return true;
    } else {
      return false;
    }
  }
  bool deliver_exit(const Exit& x) override {
    if constexpr (Handles<A, Exit>) {
      static_assert(!kHandlerIsTask<A, Exit>,
                    "handle(const troupe::Exit&) must not be a coroutine");
      instance().handle(Exit(x));
      return true;
    } else {
      return false;
    }
  }
  void deliver_receive_timeout() override {
    if constexpr (Handles<A, ReceiveTimeout>) {
      static_assert(!kHandlerIsTask<A, ReceiveTimeout>,
                    "handle(const troupe::ReceiveTimeout&) must not be a coroutine");
      instance().handle(ReceiveTimeout{});
    }
  }
  SupervisorStrategy supervisor_strategy() const override {
    if constexpr (requires { A::supervisor_strategy(); }) {
      return A::supervisor_strategy();
    } else {
      return SupervisorStrategy::one_for_one();
    }
  }
  const std::type_info& actor_type() const noexcept override { return typeid(A); }

  // Kept for restarts; released once the actor is gone for good, since
  // they may hold refs (to this actor's peers, or through them to itself).
  std::optional<std::tuple<Args...>> args_;
  alignas(A) unsigned char storage_[sizeof(A)];
  bool alive_ = false;
};

/// Makes and starts an actor of class A (a child of `parent` if given).
/// The returned cell carries one reference for the caller's ActorRef.
template <class A, class... Args>
CellPtr spawn_actor(SystemCore& system, ActorCellBase* parent, const SpawnOptions& options,
                    Args&&... args) {
  auto* cell = new ActorCellOf<A, std::decay_t<Args>...>(system, parent, options.mailbox,
                                                         std::forward<Args>(args)...);
  if (options.stop_when_idle > Duration::zero()) cell->set_stop_when_idle(options.stop_when_idle);
  if (parent) parent->adopt_child(*cell);
  ActorCellBase::start(*cell);
  return CellPtr::adopt(cell);
}

}  // namespace troupe::detail
