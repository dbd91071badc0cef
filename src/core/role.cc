#include "fleetd/store.h"

namespace fleetd {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kViewer:
      break;
  }
  return "viewer";
}

std::optional<Role> RoleFromName(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kViewer, Role::kOperator}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

}  // namespace fleetd
