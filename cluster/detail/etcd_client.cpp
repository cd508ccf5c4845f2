#include <functional>
#include <utility>

#include <troupe/cluster/detail/etcd_client.hpp>
#include <troupe/cluster/detail/etcd_convert.hpp>
#include <troupe/cluster/detail/etcd_session.hpp>
#include <troupe/cluster/detail/key_range.hpp>
#include <troupe/cluster/detail/unary_call.hpp>

namespace troupe::cluster::detail {

namespace {

namespace pb = etcdserverpb;
using Done = std::function<void(grpc::Status)>;

void range_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c, const pb::RangeRequest* q,
               pb::RangeResponse* r, Done done) {
  e.kv->async()->Range(c, q, r, std::move(done));
}
void put_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c, const pb::PutRequest* q,
             pb::PutResponse* r, Done done) {
  e.kv->async()->Put(c, q, r, std::move(done));
}
void delete_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c, const pb::DeleteRangeRequest* q,
                pb::DeleteRangeResponse* r, Done done) {
  e.kv->async()->DeleteRange(c, q, r, std::move(done));
}
void txn_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c, const pb::TxnRequest* q,
             pb::TxnResponse* r, Done done) {
  e.kv->async()->Txn(c, q, r, std::move(done));
}
void grant_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c, const pb::LeaseGrantRequest* q,
               pb::LeaseGrantResponse* r, Done done) {
  e.lease->async()->LeaseGrant(c, q, r, std::move(done));
}
void revoke_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c, const pb::LeaseRevokeRequest* q,
                pb::LeaseRevokeResponse* r, Done done) {
  e.lease->async()->LeaseRevoke(c, q, r, std::move(done));
}

std::string quoted(const std::string& key) { return "\"" + key + "\""; }

EtcdError malformed(const std::string& operation, const std::string& what) {
  return EtcdError(grpc::StatusCode::INTERNAL, "unexpected answer from etcd: " + what, operation);
}

Task<EtcdResult<std::int64_t>> put_task(std::shared_ptr<EtcdSession> s, std::string key,
                                        std::string value, LeaseId lease) {
  pb::PutRequest q;
  q.set_key(key);
  q.set_value(std::move(value));
  q.set_lease(lease);
  EtcdResult<pb::PutResponse> r =
      co_await etcd_call(s, "put " + quoted(key), &put_rpc, std::move(q), Retry::kIfNeverSent);
  if (!r) co_return unexpected(r.error());
  co_return r->header().revision();
}

Task<EtcdResult<RangeResult>> range_task(std::shared_ptr<EtcdSession> s, std::string operation,
                                         KeyRange range) {
  pb::RangeRequest q;
  q.set_key(std::move(range.key));
  q.set_range_end(std::move(range.range_end));
  EtcdResult<pb::RangeResponse> r =
      co_await etcd_call(s, std::move(operation), &range_rpc, std::move(q), Retry::kIfUnavailable);
  if (!r) co_return unexpected(r.error());
  RangeResult result;
  result.revision = r->header().revision();
  result.kvs.reserve(static_cast<std::size_t>(r->kvs_size()));
  for (const auto& kv : r->kvs()) result.kvs.push_back(to_key_value(kv));
  co_return result;
}

Task<EtcdResult<std::optional<KeyValue>>> get_task(std::shared_ptr<EtcdSession> s,
                                                   std::string key) {
  const std::string operation = "get " + quoted(key);
  KeyRange range{std::move(key),
                 {}};  // named: no braced temporary in a co_await (README, "Compilers")
  EtcdResult<RangeResult> r = co_await range_task(s, operation, std::move(range));
  if (!r) co_return unexpected(r.error());
  if (r->kvs.empty()) co_return std::optional<KeyValue>();
  co_return std::optional<KeyValue>(std::move(r->kvs.front()));
}

Task<EtcdResult<std::int64_t>> erase_task(std::shared_ptr<EtcdSession> s, std::string operation,
                                          KeyRange range) {
  pb::DeleteRangeRequest q;
  q.set_key(std::move(range.key));
  q.set_range_end(std::move(range.range_end));
  EtcdResult<pb::DeleteRangeResponse> r =
      co_await etcd_call(s, std::move(operation), &delete_rpc, std::move(q), Retry::kIfNeverSent);
  if (!r) co_return unexpected(r.error());
  co_return r->deleted();
}

// A transaction on one key: if its `target` revision equals `revision`, run
// `on_success` then read the key back; else only read it.
pb::TxnRequest compare_revision(const std::string& key, pb::Compare::CompareTarget target,
                                std::int64_t revision) {
  pb::TxnRequest txn;
  pb::Compare* c = txn.add_compare();
  c->set_key(key);
  c->set_target(target);
  c->set_result(pb::Compare::EQUAL);
  if (target == pb::Compare::CREATE) {
    c->set_create_revision(revision);
  } else {
    c->set_mod_revision(revision);
  }
  txn.add_failure()->mutable_request_range()->set_key(key);
  return txn;
}

// The key as the transaction's last operation (a range) read it.
std::optional<KeyValue> read_back(const pb::TxnResponse& r) {
  if (r.responses_size() == 0) return std::nullopt;
  const pb::ResponseOp& last = r.responses(r.responses_size() - 1);
  if (!last.has_response_range() || last.response_range().kvs_size() == 0) return std::nullopt;
  return to_key_value(last.response_range().kvs(0));
}

Task<EtcdResult<CasResult>> cas_task(std::shared_ptr<EtcdSession> s, std::string operation,
                                     pb::TxnRequest txn) {
  EtcdResult<pb::TxnResponse> r =
      co_await etcd_call(s, std::move(operation), &txn_rpc, std::move(txn), Retry::kIfNeverSent);
  if (!r) co_return unexpected(r.error());
  CasResult result;
  result.succeeded = r->succeeded();
  result.current = read_back(*r);
  result.revision = r->header().revision();
  co_return result;
}

pb::TxnRequest put_txn(const std::string& key, std::string value, LeaseId lease,
                       pb::Compare::CompareTarget target, std::int64_t revision) {
  pb::TxnRequest txn = compare_revision(key, target, revision);
  pb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(std::move(value));
  put->set_lease(lease);
  txn.add_success()->mutable_request_range()->set_key(key);
  return txn;
}

Task<EtcdResult<CreateResult>> create_task(std::shared_ptr<EtcdSession> s, std::string key,
                                           std::string value, LeaseId lease) {
  const std::string operation = "create " + quoted(key);
  pb::TxnRequest txn = put_txn(key, std::move(value), lease, pb::Compare::CREATE, 0);
  EtcdResult<CasResult> r = co_await cas_task(s, operation, std::move(txn));
  if (!r) co_return unexpected(r.error());
  // Both branches end with a read of the key, which exists either way (a
  // transaction is atomic: nothing deletes it in between).
  if (!r->current) co_return unexpected(malformed(operation, "the key was not read back"));
  CreateResult result;
  result.created = r->succeeded;
  result.current = std::move(*r->current);
  result.revision = r->revision;
  co_return result;
}

Task<EtcdResult<LeaseGrant>> grant_task(std::shared_ptr<EtcdSession> s, std::chrono::seconds ttl) {
  LeaseGrant grant;
  grant.sent_at = Clock::now();  // before etcd can have started the TTL
  pb::LeaseGrantRequest q;
  q.set_ttl(ttl.count());
  EtcdResult<pb::LeaseGrantResponse> r =
      co_await etcd_call(s, "lease grant", &grant_rpc, std::move(q), Retry::kIfNeverSent);
  if (!r) co_return unexpected(r.error());
  if (!r->error().empty())
    co_return unexpected(EtcdError(grpc::StatusCode::UNKNOWN, r->error(), "lease grant"));
  grant.id = r->id();
  grant.ttl = std::chrono::seconds(r->ttl());
  co_return grant;
}

Task<EtcdResult<void>> revoke_task(std::shared_ptr<EtcdSession> s, LeaseId lease) {
  pb::LeaseRevokeRequest q;
  q.set_id(lease);
  EtcdResult<pb::LeaseRevokeResponse> r = co_await etcd_call(
      s, "revoke lease " + std::to_string(lease), &revoke_rpc, std::move(q), Retry::kIfNeverSent);
  if (!r) co_return unexpected(r.error());
  co_return EtcdResult<void>{};
}

}  // namespace

EtcdResult<EtcdClient> EtcdClient::create(EtcdOptions options) {
  EtcdResult<std::shared_ptr<EtcdSession>> s = EtcdSession::create(std::move(options));
  if (!s) return unexpected(s.error());
  return EtcdClient(std::move(*s));
}

const EtcdOptions& EtcdClient::options() const noexcept { return session_->options(); }

Task<EtcdResult<std::int64_t>> EtcdClient::put(std::string key, std::string value,
                                               LeaseId lease) const {
  return put_task(session_, std::move(key), std::move(value), lease);
}

Task<EtcdResult<std::optional<KeyValue>>> EtcdClient::get(std::string key) const {
  return get_task(session_, std::move(key));
}

Task<EtcdResult<RangeResult>> EtcdClient::get_prefix(std::string prefix) const {
  std::string operation = "get prefix " + quoted(prefix);
  return range_task(session_, std::move(operation), prefix_range(std::move(prefix)));
}

Task<EtcdResult<std::int64_t>> EtcdClient::erase(std::string key) const {
  std::string operation = "delete " + quoted(key);
  return erase_task(session_, std::move(operation), KeyRange{std::move(key), {}});
}

Task<EtcdResult<std::int64_t>> EtcdClient::erase_prefix(std::string prefix) const {
  std::string operation = "delete prefix " + quoted(prefix);
  return erase_task(session_, std::move(operation), prefix_range(std::move(prefix)));
}

Task<EtcdResult<CreateResult>> EtcdClient::create_if_absent(std::string key, std::string value,
                                                            LeaseId lease) const {
  return create_task(session_, std::move(key), std::move(value), lease);
}

Task<EtcdResult<CasResult>> EtcdClient::put_if(std::string key, std::string value,
                                               std::int64_t expected_mod_revision,
                                               LeaseId lease) const {
  std::string operation = "put-if " + quoted(key);
  return cas_task(session_, std::move(operation),
                  put_txn(key, std::move(value), lease, pb::Compare::MOD, expected_mod_revision));
}

Task<EtcdResult<CasResult>> EtcdClient::erase_if(std::string key, std::int64_t mod_revision) const {
  pb::TxnRequest txn = compare_revision(key, pb::Compare::MOD, mod_revision);
  txn.add_success()->mutable_request_delete_range()->set_key(key);
  std::string operation = "delete-if " + quoted(key);
  return cas_task(session_, std::move(operation), std::move(txn));
}

Task<EtcdResult<LeaseGrant>> EtcdClient::grant(std::chrono::seconds ttl) const {
  return grant_task(session_, ttl);
}

Task<EtcdResult<void>> EtcdClient::revoke(LeaseId lease) const {
  return revoke_task(session_, lease);
}

LeaseKeeper EtcdClient::keep_alive(const LeaseGrant& lease, LeaseKeeperOptions options) const {
  return LeaseKeeper(session_, lease, options);
}

Task<EtcdResult<EtcdWatch>> EtcdClient::watch_prefix(std::string prefix,
                                                     std::int64_t start_revision) const {
  return EtcdWatch::open(session_, std::move(prefix), start_revision);
}

}  // namespace troupe::cluster::detail
