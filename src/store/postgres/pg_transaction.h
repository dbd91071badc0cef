// Transaction: BEGIN ... COMMIT on one connection, rolled back on every path
// that does not commit (early returns included).
//
// SetTenant is how row-level security learns whose rows a transaction may
// touch: it sets fleetd.tenant_id with set_config(..., is_local = true), the
// SET LOCAL form, so the setting ends with the transaction and a pooled
// connection never carries one tenant's setting into the next caller's work.
#pragma once

#include <cstdint>

#include "fleetd/status.h"
#include "store/postgres/pg_connection.h"

namespace fleetd::pg {

class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN (READ ONLY when asked: a read that cannot write by mistake).
  Status Begin(bool read_only = false);
  // The tenant the row-level security policies compare tenant_id with.
  Status SetTenant(int64_t tenant_id);
  // COMMIT; on failure the transaction is gone too (rolled back by the server).
  Status Commit();

 private:
  Connection& conn_;
  bool open_ = false;
};

}  // namespace fleetd::pg
