// Must not compile: a ref to an actor on another node carries protobuf
// envelopes, decoded there by the class's `messages`; a class without the
// list cannot be reached from another node.
#include <troupe/actor/actor.hpp>
#include <troupe/remote/node.hpp>

struct Unlisted : troupe::Actor<Unlisted> {
  void handle(int) {}
};

troupe::ActorRef<Unlisted> reach(troupe::remote::Node& node) {
  return node.ref<Unlisted>("b", 1, 2);
}
