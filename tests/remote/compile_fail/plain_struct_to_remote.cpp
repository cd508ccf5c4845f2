// Must not compile: only protobuf messages can cross to another node, so a
// ref to an actor on another node cannot be made for a class that lists a
// plain C++ type among its messages.
#include <troupe/actor/actor.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>

struct Plain {
  int n;
};

struct Local : troupe::Actor<Local> {
  using messages = troupe::proto::Messages<Plain>;
  void handle(const Plain&) {}
};

troupe::ActorRef<Local> reach(troupe::remote::Node& node) { return node.ref<Local>("b", 1, 2); }
