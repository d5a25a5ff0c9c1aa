"""Who is calling a service: the signed-in user, checked for role by the service itself."""

from __future__ import annotations

from dataclasses import dataclass

from cras_desk.domain.enums import Role
from cras_desk.domain.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    role: Role
    team_id: int | None

    def require(self, *roles: Role, action: str = "do this") -> None:
        """Refuse the call unless the actor holds one of roles (admins may do everything)."""
        if self.role is Role.ADMIN or self.role in roles:
            return
        wanted = " or ".join(r.value.replace("_", " ") for r in roles)
        article = "an" if wanted[0] in "aeiou" else "a"
        raise PermissionDenied(f"Only {article} {wanted} may {action}.")

    @property
    def is_lead(self) -> bool:
        return self.role in (Role.TEAM_LEAD, Role.ADMIN)
