"""The agency registry in the database: seed from the reviewed YAML file, load a cached snapshot, edit aliases.

Name matching itself (``Registry``, ``norm_name``) is pure and lives in :mod:`core.agencies`.
"""

from __future__ import annotations

import logging
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select

from core.agencies import AgencyInfo, Registry, alias_key, norm_name
from core.errors import CchcError
from core.text import nfc
from knowledge.store.db import Database
from knowledge.store.task_models import Agency, AgencyAlias, AgencyMember

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- seed and load
def seed_path() -> Path:
    return Path(str(resources.files("knowledge").joinpath("data/agencies.yaml")))


def _aliases(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [nfc(x.strip()) for x in raw.split("|") if x.strip()]
    return [nfc(str(x).strip()) for x in raw if str(x).strip()]


def read_seed(path: Path | None = None) -> dict[str, Any]:
    p = path or seed_path()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CchcError(f"Không đọc được danh mục cơ quan {p}: {exc}") from exc
    items = data.get("agencies") or []
    keys = {a.get("key") for a in items}
    problems = []
    for i, a in enumerate(items, 1):
        if not a.get("key") or not a.get("name"):
            problems.append(f"mục {i}: thiếu key hoặc name")
        for ref in [a.get("successor"), *(a.get("members") or [])]:
            if ref and ref not in keys:
                problems.append(f"{a.get('key')}: tham chiếu tới '{ref}' không có trong danh mục")
    if problems:
        raise CchcError("Danh mục cơ quan không hợp lệ:\n" + "\n".join(problems))
    return data


def seed_from_file(db: Database, path: Path | None = None) -> int:
    """Upsert the agencies of the seed file (by key). Aliases and agencies added by users are kept.
    Returns the number of agencies in the file."""
    data = read_seed(path)
    province = data.get("province")
    items = data.get("agencies") or []
    with db.session() as s:
        rows = {a.key: a for a in s.scalars(select(Agency))}
        for it in items:
            row = rows.get(it["key"])
            if row is None:
                row = Agency(key=it["key"])
                s.add(row)
                rows[it["key"]] = row
            row.name = nfc(it["name"])
            row.level = it.get("level", "tỉnh")
            row.kind = it.get("kind", "cơ quan")
            row.province = it.get("province", province)
            row.is_group = bool(it.get("members")) or it.get("kind") == "nhóm"
            row.effective = date.fromisoformat(str(it["effective"])) if it.get("effective") else None
            row.note = it.get("note")
            row.active = not it.get("successor")
        s.flush()
        for it in items:
            row = rows[it["key"]]
            row.successor_id = rows[it["successor"]].id if it.get("successor") else None
        taken = {al.folded: al.agency_id for al in s.scalars(select(AgencyAlias))}
        for it in items:
            row = rows[it["key"]]
            for alias in [row.name, *_aliases(it.get("aliases"))]:
                f = alias_key(alias)
                if f and f not in taken:
                    s.add(AgencyAlias(agency_id=row.id, alias=alias, folded=f))
                    taken[f] = row.id
            if it.get("members") is not None:
                s.execute(delete(AgencyMember).where(AgencyMember.group_id == row.id))
                for m in it.get("members") or []:
                    s.add(AgencyMember(group_id=row.id, member_id=rows[m].id))
    _CACHE.clear()
    logger.info("agency registry seeded: %d agencies", len(items))
    return len(items)


def add_alias(db: Database, agency: str, alias: str) -> AgencyInfo:
    """Register another name for an agency (an edit kept across re-seeding)."""
    reg = load_registry(db)
    a = reg.require(agency)
    f = alias_key(alias)
    if not norm_name(alias):
        raise CchcError("Tên gọi khác không hợp lệ.")
    other = reg.by_norm.get(norm_name(alias))
    if other is not None and other != a.id:
        raise CchcError(f"“{alias}” đã là tên của {reg.get(other).name}.")
    if other is None:
        with db.session() as s:
            s.add(AgencyAlias(agency_id=a.id, alias=nfc(alias), folded=f))
    _CACHE.clear()
    return load_registry(db).get(a.id)


_CACHE: dict[str, tuple[tuple[int, int], Registry]] = {}


def ensure_seeded(db: Database) -> None:
    with db.session() as s:
        has = s.scalar(select(Agency.id).limit(1))
    if has is None:
        seed_from_file(db)


def load_registry(db: Database) -> Registry:
    """The registry snapshot (seeded on first use; cached until the tables change)."""
    ensure_seeded(db)


    with db.session() as s:
        stamp = (
            int(s.scalar(select(func.count(AgencyAlias.id))) or 0) + 1000 * int(s.scalar(select(func.count(Agency.id))) or 0),
            int(s.scalar(select(func.max(AgencyAlias.id))) or 0),
        )
        cached = _CACHE.get(db.url)
        if cached and cached[0] == stamp:
            return cached[1]
        agencies = list(s.scalars(select(Agency)))
        aliases: dict[int, list[str]] = {}
        for al in s.scalars(select(AgencyAlias).order_by(AgencyAlias.id)):
            aliases.setdefault(al.agency_id, []).append(al.alias)
        members: dict[int, list[int]] = {}
        for m in s.scalars(select(AgencyMember)):
            members.setdefault(m.group_id, []).append(m.member_id)
        province = next((a.province for a in agencies if a.province), None)
        infos = [
            AgencyInfo(a.id, a.key, a.name, a.level, a.kind, a.is_group, a.successor_id, a.effective, a.note,
                       tuple(aliases.get(a.id, [])), tuple(members.get(a.id, [])))
            for a in agencies
        ]
    reg = Registry.build(province, infos)
    _CACHE[db.url] = (stamp, reg)
    return reg


def list_agencies(db: Database) -> list[dict[str, Any]]:
    reg = load_registry(db)
    out = []
    for a in sorted(reg.agencies.values(), key=lambda x: (x.level, x.is_group, x.name)):
        succ = reg.successor(a.id)
        out.append({
            "key": a.key, "name": a.name, "level": a.level, "kind": a.kind, "group": a.is_group,
            "aliases": [x for x in a.aliases if x != a.name],
            "members": [reg.get(m).name for m in a.members],
            "successor": succ.name if succ else None,
            "effective": a.effective.isoformat() if a.effective else None,
        })
    return out
