#include <troupe/actor/exit_reason.hpp>

namespace troupe {

namespace {
std::string what_of(const std::exception_ptr& e) {
  if (!e) return "unknown error";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "a non-standard exception";
  }
}
}  // namespace

std::string ExitReason::describe() const {
  switch (kind_) {
    case Kind::kNormal:
      return "normal";
    case Kind::kStopped:
      return "stopped";
    case Kind::kShutdown:
      return "shutdown";
    case Kind::kFailed:
      return "failed: " + what_of(error_);
    case Kind::kLinked:
      return "linked: " + what_of(error_);
    case Kind::kNodeDown:
      return "node down: " + what_of(error_);
  }
  return "unknown";
}

}  // namespace troupe
