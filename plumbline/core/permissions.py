"""Who may do what. One table, used by every page and endpoint through `can()` and `require()`.

Levels per (role, resource):
  "all"  read, create, change and delete any record
  "own"  read everything, create records owned by the user, change/delete only records the user owns; the
         owner of what they create or change is always the user themselves (`check_owner`)
  "read" read only
  "none" not even read
"""

from __future__ import annotations

from typing import Any, Literal

from plumbline.core.errors import PermissionDenied

Action = Literal["view", "add", "change", "delete"]
Level = Literal["all", "own", "read", "none"]

ROLES = ("admin", "marketing", "sales", "sales_manager", "viewer")
ROLE_LABELS = {"admin": "Admin", "marketing": "Marketing", "sales": "Sales rep", "sales_manager": "Sales manager",
               "viewer": "Viewer"}  # as accounts.models.Role names them
RESOURCES = (
    "company", "contact", "deal", "pipeline", "activity", "campaign", "touchpoint", "user", "import",
    "definitions", "framework", "objection", "messaging", "model", "webhook",
)
# "model" is the predictive model: "add" trains a new version, "change" activates an older one. A model has no
# owner, so "own" (marketing) may train but not activate. "webhook" (outbound webhook subscriptions) is admins' only:
# no other role lists it, so they get "none".

POLICY: dict[str, dict[str, Level]] = {
    "admin": {r: "all" for r in RESOURCES},
    "marketing": {
        "company": "all", "contact": "all", "deal": "read", "pipeline": "read", "activity": "own",
        "campaign": "all", "touchpoint": "all", "user": "none", "import": "all", "definitions": "read",
        "framework": "read", "objection": "own", "messaging": "all", "model": "own",
    },
    "sales": {
        "company": "own", "contact": "own", "deal": "own", "pipeline": "read", "activity": "own",
        "campaign": "read", "touchpoint": "read", "user": "none", "import": "none", "definitions": "read",
        "framework": "read", "objection": "own", "messaging": "read", "model": "read",
    },
    "sales_manager": {
        "company": "all", "contact": "all", "deal": "all", "pipeline": "all", "activity": "all",
        "campaign": "read", "touchpoint": "read", "user": "none", "import": "all", "definitions": "read",
        "framework": "all", "objection": "all", "messaging": "all", "model": "read",
    },
    "viewer": {
        "company": "read", "contact": "read", "deal": "read", "pipeline": "read", "activity": "read",
        "campaign": "read", "touchpoint": "read", "user": "none", "import": "none", "definitions": "read",
        "framework": "read", "objection": "read", "messaging": "read", "model": "read",
    },
}


def level(user: Any, resource: str) -> Level:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return "none"
    if user.is_superuser:
        return "all"
    return POLICY.get(getattr(user, "role", ""), {}).get(resource, "none")


def _owns(user: Any, obj: Any) -> bool:
    owner_id = getattr(obj, "owner_id", None)
    if owner_id is None and hasattr(obj, "author_id"):
        owner_id = obj.author_id
    return owner_id == user.pk


def can(user: Any, action: Action, resource: str, obj: Any = None) -> bool:
    """True when `user` may perform `action` on `resource` (and on `obj`, when given)."""
    lvl = level(user, resource)
    if lvl == "none":
        return False
    if action == "view":
        return True
    if lvl == "read":
        return False
    if lvl == "all" or action == "add":
        return True
    return obj is not None and _owns(user, obj)


def require(user: Any, action: Action, resource: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless `can()`."""
    if not can(user, action, resource, obj):
        raise PermissionDenied(f"Your role may not {action} this {resource}.")


def check(by: Any, action: Action, resource: str, obj: Any = None) -> None:
    """The check every action makes when a user acts; `by=None` is the system itself (imports, demo, automation)."""
    if by is not None:
        require(by, action, resource, obj)


_NEW = object()


def check_owner(by: Any, resource: str, owner: Any, *, current: Any = _NEW) -> None:
    """"Own" means owner = the acting user: with the "own" level a user may create or reassign a record only to
    themselves, so a rep cannot create contacts for, or log calls as, another rep. On a change, `current` is the
    owner the record has; keeping it is no reassignment. Owners are users, ids or None."""
    new_id = getattr(owner, "pk", owner)
    if current is not _NEW and new_id == getattr(current, "pk", current):
        return
    if by is None or level(by, resource) != "own" or new_id == by.pk:
        return
    raise PermissionDenied(f"You may only make yourself the owner of this {resource}.", field="owner")


def default_owner(by: Any, owner: Any) -> Any:
    """Sales reps own what they create unless they name someone else."""
    if owner is None and by is not None and getattr(by, "role", "") == "sales":
        return by
    return owner


_VERBS = {"view": "see", "add": "create", "change": "edit", "delete": "delete"}
_NOUNS = {"company": "companies", "activity": "activities", "definitions": "the plumb line's definitions",
          "model": "predictive models", "import": "imports", "messaging": "messaging items", "user": "users"}


def denial(user: Any, action: Action, resource: str) -> str:
    """Why `user` may not do this, for the 403 page: an "own" role is told it may act on its own records only;
    any other role is told which roles may."""
    verb, noun = _VERBS[action], _NOUNS.get(resource, f"{resource}s")
    mine = level(user, resource)
    if mine == "own" and action in ("change", "delete"):
        anyone = [ROLE_LABELS[r] for r in ROLES if POLICY[r].get(resource, "none") == "all"]
        roles = "role" if len(anyone) == 1 else "roles"
        return f"You may {verb} only the {noun} you own; the {_join(anyone, 'and')} {roles} may {verb} any."
    needed = ("all", "own", "read") if action == "view" else ("all", "own")
    allowed = [ROLE_LABELS[r] for r in ROLES if POLICY[r].get(resource, "none") in needed]
    role = ROLE_LABELS.get(getattr(user, "role", ""), "none")
    return f"Your role ({role}) may not {verb} {noun}; that needs the {_join(allowed, 'or')} role."


def _join(labels: list[str], word: str) -> str:
    if len(labels) <= 1:
        return "".join(labels) or "Admin"
    return ", ".join(labels[:-1]) + f" {word} " + labels[-1]
