#include "store/postgres/tenant_dsn_map.h"

#include "store/postgres/pg_url.h"

namespace fleetd::pg {

Status ValidateTenantDsn(const std::string& tenant, const std::string& url) {
  if (tenant.empty()) return Status(StatusCode::kInvalidArgument, "store tenant map: a tenant name is empty");
  const std::string where = "store tenant map: tenant '" + tenant + "': ";
  if (url.empty()) return Status(StatusCode::kInvalidArgument, where + "the DSN is empty");
  if (!IsPostgresUrl(url)) {
    return Status(StatusCode::kInvalidArgument,
                  where + "'" + RedactUrl(url) + "' is not a postgresql://user:password@host:port/database URL");
  }
  if (auto parsed = ParseStoreUrl(url); !parsed.ok()) {
    return Status(StatusCode::kInvalidArgument, where + parsed.status().message());
  }
  return Status::Ok();
}

Result<std::vector<TenantDsnGroup>> GroupTenantDsns(const std::string& shared_url, const TenantDsnMap& tenants) {
  std::vector<TenantDsnGroup> groups;
  if (tenants.empty()) return groups;
  if (!IsPostgresUrl(shared_url)) {
    return Status(StatusCode::kInvalidArgument, "store tenant map: the shared store '" + RedactUrl(shared_url) +
                                                    "' must be postgresql:// too (it holds the directory)");
  }
  for (const auto& [tenant, url] : tenants) {  // std::map: name order
    if (Status s = ValidateTenantDsn(tenant, url); !s.ok()) return s;
    if (url == shared_url) continue;
    TenantDsnGroup* group = nullptr;
    for (auto& g : groups) {
      if (g.url == url) group = &g;
    }
    if (!group) group = &groups.emplace_back(TenantDsnGroup{url, {}});
    group->tenants.push_back(tenant);
  }
  return groups;
}

}  // namespace fleetd::pg
