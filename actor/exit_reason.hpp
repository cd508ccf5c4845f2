#pragma once

#include <exception>
#include <string>
#include <utility>

namespace troupe {

/// Why an actor stopped. A plain value (copyable, not synchronized).
class ExitReason {
 public:
  enum class Kind : unsigned char {
    kNormal,    // it stopped itself, or a graceful stop drained its mailbox
    kStopped,   // stopped from outside, at once
    kShutdown,  // its ActorSystem shut down
    kFailed,    // a handler (or on_start) threw, and it was not restarted
    kLinked,    // a linked actor failed and this one does not trap exits
    kNodeDown,  // (remote actors) the connection to its node was lost
  };

  static ExitReason normal() noexcept { return ExitReason(Kind::kNormal); }
  static ExitReason stopped() noexcept { return ExitReason(Kind::kStopped); }
  static ExitReason shutdown() noexcept { return ExitReason(Kind::kShutdown); }
  static ExitReason failed(std::exception_ptr e) noexcept {
    return ExitReason(Kind::kFailed, std::move(e));
  }
  static ExitReason linked(std::exception_ptr e) noexcept {
    return ExitReason(Kind::kLinked, std::move(e));
  }

  /// A remote actor's node became unreachable; `why` says how.
  static ExitReason node_down(std::exception_ptr why) noexcept {
    return ExitReason(Kind::kNodeDown, std::move(why));
  }

  /// A reason of kind `k` (`error` only matters for kFailed, kLinked and kNodeDown).
  static ExitReason of(Kind k, std::exception_ptr error = nullptr) noexcept {
    return ExitReason(k, std::move(error));
  }

  Kind kind() const noexcept { return kind_; }
  /// Failed or linked: what links propagate and supervisors act on.
  bool is_abnormal() const noexcept { return kind_ == Kind::kFailed || kind_ == Kind::kLinked; }
  /// The exception behind an abnormal exit or a node down (nullptr otherwise).
  const std::exception_ptr& error() const noexcept { return error_; }
  /// "normal", "stopped", "shutdown", "failed: <what()>", "linked: <what()>",
  /// "node down: <what()>".
  std::string describe() const;

  friend bool operator==(const ExitReason& a, const ExitReason& b) noexcept {
    return a.kind_ == b.kind_ && a.error_ == b.error_;
  }

 private:
  explicit ExitReason(Kind k, std::exception_ptr e = nullptr) noexcept
      : kind_(k), error_(std::move(e)) {}
  Kind kind_;
  std::exception_ptr error_;
};

}  // namespace troupe
