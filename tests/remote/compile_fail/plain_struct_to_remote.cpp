// Must not compile: only protobuf messages can cross to another node, even
// when the actor has a handler for the type.
#include <troupe/actor/actor.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/remote_ref.hpp>

struct Plain {
  int n;
};

struct Local : troupe::Actor<Local> {
  using messages = troupe::proto::Messages<>;
  void handle(const Plain&) {}
};

void send(const troupe::remote::RemoteRef<Local>& ref) { (void)ref.tell(Plain{1}); }
