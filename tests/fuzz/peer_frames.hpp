// The frames the peer played by the remote-frame target opens a stream
// with, shared by its seeds and its start-up check that a peer knowing
// the secret still gets past the handshake (else every seed would stop
// there, silently).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include <troupe/remote/detail/handshake.hpp>
#include <troupe/v1/cluster.pb.h>

#include "grpc_framing.hpp"
#include "remote_fixture.hpp"

namespace troupe::fuzz {

inline constexpr std::uint64_t kPeerIncarnation = 0x0123456789abcdef;

/// The peer's first frame.
inline v1::Frame hello(std::string node = std::string(kPeerName),
                       std::uint32_t protocol = remote::detail::kProtocolVersion,
                       std::string nonce = std::string(32, 'n')) {
  v1::Frame f;
  auto* h = f.mutable_hello();
  h->set_protocol(protocol);
  h->set_node(std::move(node));
  h->set_incarnation(kPeerIncarnation);
  h->set_nonce(std::move(nonce));
  return f;
}

/// The peer's second frame: its proof when the node accepts, its welcome
/// and proof when the node dials (one input serves both runs).
inline v1::Frame proof(std::string value = std::string(kValidProof), bool welcome = true) {
  v1::Frame f;
  f.set_proof(std::move(value));
  f.set_welcome(welcome);
  return f;
}

/// A frame after the handshake: `envelopes` as a batch, sealed (a batch
/// whose tag is kValidProof is sealed when played) unless told otherwise.
inline v1::Frame batch(std::initializer_list<v1::Envelope> envelopes,
                       std::string mac = std::string(kValidProof)) {
  v1::Batch b;
  for (const auto& e : envelopes) *b.add_envelopes() = e;
  v1::Frame f;
  f.set_batch(b.SerializeAsString());
  f.set_mac(std::move(mac));
  return f;
}

/// `frames` as the bytes of a gRPC stream.
inline std::string stream(std::initializer_list<v1::Frame> frames) {
  std::string wire;
  for (const auto& f : frames) put_message(wire, f.SerializeAsString());
  return wire;
}

}  // namespace troupe::fuzz
