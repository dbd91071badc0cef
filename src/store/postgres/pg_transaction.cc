// Rollback in the destructor is best effort: on a broken connection it fails
// quietly and the pool discards the connection.
#include "store/postgres/pg_transaction.h"

#include <string>

namespace fleetd::pg {

Transaction::~Transaction() {
  if (open_) (void)conn_.Script("ROLLBACK", "rollback");
}

Status Transaction::Begin(bool read_only) {
  Status s = conn_.Script(read_only ? "BEGIN READ ONLY" : "BEGIN", "begin");
  open_ = s.ok();
  return s;
}

Status Transaction::SetTenant(int64_t tenant_id) {
  auto r = conn_.Exec("SELECT set_config('fleetd.tenant_id', $1, true)", Params().Text(std::to_string(tenant_id)),
                      "set tenant");
  return r.ok() ? Status::Ok() : r.status();
}

Status Transaction::Commit() {
  open_ = false;
  return conn_.Script("COMMIT", "commit");
}

}  // namespace fleetd::pg
