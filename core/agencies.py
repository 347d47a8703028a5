"""Agency name matching: canonical agencies, aliases and abbreviations, groups, 2025 successors.

Pure: no database. ``knowledge.store.agencies`` seeds the registry tables from the reviewed file
``knowledge/data/agencies.yaml`` and loads snapshots of it. ``Registry`` is an in-memory snapshot used to resolve a name typed
by a user (with or without diacritics, abbreviations like ``Sở KH&ĐT``, ``SNV``, ``VP UBND tỉnh``), to
find agency mentions in document text, to expand groups and to suggest the closest names.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from core.errors import NotFoundError
from core.text import nfc

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- normalisation
@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base.lower()) == 1 else ch


# Every Latin letter with Vietnamese diacritics (and A-Z) mapped to its folded form, for str.translate.
_FOLD_TABLE = {
    ord(ch): _fold_char(ch)
    for ch in (chr(i) for i in range(0x41, 0x1EFA))
    if ch.isalpha() and len(_fold_char(ch)) == 1 and _fold_char(ch) != ch
}


def fold_aligned(text: str) -> str:
    """Lower-case, diacritic-free text of exactly the same length (offsets stay valid)."""
    return nfc(text).translate(_FOLD_TABLE)


_ABBREV = [
    (r"\bubnd\b", "uy ban nhan dan"),
    (r"\bhdnd\b", "hoi dong nhan dan"),
    (r"\bvp\b", "van phong"),
    (r"\bbql\b", "ban quan ly"),
    (r"\bkcn\b", "khu cong nghiep"),
    (r"\bmttq\b", "mat tran to quoc"),
    (r"\bbcd\b", "ban chi dao"),
    (r"\bcchc\b", "cai cach hanh chinh"),
    (r"\bdvsn\b", "don vi su nghiep"),
    (r"\bsncl\b", "su nghiep cong lap"),
    (r"\bkh\s*&\s*dt\b", "ke hoach va dau tu"),
    (r"\bkh\s*&\s*cn\b", "khoa hoc va cong nghe"),
    (r"\btt\s*&\s*tt\b", "thong tin va truyen thong"),
    (r"\bgd\s*&\s*dt\b", "giao duc va dao tao"),
    (r"\bnn\s*&\s*mt\b", "nong nghiep va moi truong"),
    (r"\btn\s*&\s*mt\b", "tai nguyen va moi truong"),
    (r"\bnn\s*&\s*ptnt\b", "nong nghiep va phat trien nong thon"),
    (r"\bld-tb\s*&\s*xh\b", "lao dong thuong binh va xa hoi"),
    (r"\bpt-th\b", "phat thanh truyen hinh"),
    (r"\btthc\b", "thu tuc hanh chinh"),
]
_ABBREV_RE = [(re.compile(p), r) for p, r in _ABBREV]


def alias_key(alias: str) -> str:
    """Stored uniqueness key of an alias: folded, whitespace squashed (abbreviations kept as written)."""
    return re.sub(r"\s+", " ", fold_aligned(alias)).strip()


def norm_name(name: str) -> str:
    """Matching key of an agency name: folded, abbreviations expanded, punctuation dropped,
    leading titles (``Thủ trưởng``, ``Giám đốc``) and a trailing ``tỉnh [Hưng Yên]`` removed."""
    s = fold_aligned(name.strip())
    for rx, rep in _ABBREV_RE:
        s = rx.sub(rep, s)
    s = s.replace("&", " va ")
    s = re.sub(r"[^\w]+", " ", s).strip()
    s = re.sub(r"^(?:thu truong|giam doc|lanh dao|cac dong chi|dong chi)\s+", "", s)
    s = re.sub(r"\s+tinh(?:\s+hung\s+yen)?$", "", s)
    s = re.sub(r"\s+hung\s+yen$", "", s)
    s = re.sub(r"^uy ban nhan dan$", "uy ban nhan dan", s)
    return re.sub(r"\s+", " ", s)


_EQUIV = {"ubnd": "(?:uy\\s+ban\\s+nhan\\s+dan|ubnd)", "vp": "(?:van\\s+phong|vp)"}




def _alias_regex(folded: str) -> str:
    """Regex of a folded alias: flexible spaces around punctuation, UBND = Ủy ban nhân dân, VP = Văn phòng."""
    s = re.sub(r"\buy ban nhan dan\b", "ubnd", folded)
    s = re.sub(r"\bvan phong\b", "vp", s)
    out = []
    for tok in re.findall(r"\w+|[^\w\s]", s):
        out.append(_EQUIV.get(tok, re.escape(tok)))
    # words need whitespace between them; punctuation may have spaces around it
    rx = ""
    for i, tok in enumerate(out):
        if i:
            prev_word = re.match(r"[\w(]", out[i - 1][0]) is not None and not out[i - 1].startswith("\\")
            cur_word = re.match(r"[\w(]", tok[0]) is not None and not tok.startswith("\\")
            rx += r"\s+" if prev_word and cur_word else r"\s*"
        rx += tok
    return rx


# --------------------------------------------------------------------------- the snapshot
@dataclass(frozen=True)
class AgencyInfo:
    id: int
    key: str
    name: str
    level: str
    kind: str
    is_group: bool
    successor_id: int | None
    effective: date | None
    note: str | None
    aliases: tuple[str, ...] = ()
    members: tuple[int, ...] = ()


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    agency_id: int
    text: str


@dataclass
class Registry:
    province: str | None
    agencies: dict[int, AgencyInfo]
    by_key: dict[str, int] = field(default_factory=dict)
    by_norm: dict[str, int] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None
    _pattern_ids: list[int] = field(default_factory=list)
    # The same alternatives grouped by the word they can start with: mentions() only tries the
    # patterns of the words it meets (one big alternation tried at every position was the slowest
    # step of task extraction).
    _by_first: dict[str, re.Pattern[str]] = field(default_factory=dict)
    _first_words: re.Pattern[str] | None = None

    @classmethod
    def build(cls, province: str | None, infos: list[AgencyInfo]) -> Registry:
        reg = cls(province, {a.id: a for a in infos})
        for a in infos:
            reg.by_key[a.key] = a.id
            for n in (a.name, *a.aliases):
                k = norm_name(n)
                if k and k not in reg.by_norm:
                    reg.by_norm[k] = a.id
        reg._compile()
        return reg

    def _compile(self) -> None:
        forms: dict[str, int] = {}
        for a in self.agencies.values():
            for n in (a.name, *a.aliases):
                f = fold_aligned(n).strip()
                if len(f) >= 4 and f not in forms:
                    forms[f] = a.id
        keys = sorted(forms, key=len, reverse=True)
        parts: list[str] = []
        for k in keys:
            parts.append(f"(?P<a{len(parts)}>{_alias_regex(k)})")
            self._pattern_ids.append(forms[k])
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)") if parts else None
        grouped: dict[str, list[str]] = {}
        for i, k in enumerate(keys):
            s = re.sub(r"\bvan phong\b", "vp", re.sub(r"\buy ban nhan dan\b", "ubnd", k))
            first = re.findall(r"\w+|[^\w\s]", s)[0]
            starts = {"ubnd": ["uy", "ubnd"], "vp": ["van", "vp"]}.get(first, [first])
            for word in starts:
                grouped.setdefault(word, []).append(parts[i])
        self._by_first = {w: re.compile(r"(?:" + "|".join(alts) + r")(?!\w)") for w, alts in grouped.items()}
        words = sorted(grouped, key=len, reverse=True)
        self._first_words = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)") if words else None

    # ------------------------------------------------------------------ lookups
    def get(self, agency_id: int) -> AgencyInfo:
        return self.agencies[agency_id]

    def by_key_name(self, key: str) -> AgencyInfo | None:
        i = self.by_key.get(key)
        return self.agencies[i] if i is not None else None

    def resolve(self, name: str) -> AgencyInfo | None:
        """The agency a typed name, alias or abbreviation means (case and diacritics ignored)."""
        k = norm_name(name)
        if not k:
            return None
        i = self.by_norm.get(k)
        if i is None and not k.startswith("so "):
            i = self.by_norm.get("so " + k)  # "Nội vụ" -> "Sở Nội vụ"
        if i is None:
            # A whole mention inside the text (e.g. "nhiệm vụ của Sở Nội vụ tỉnh Hưng Yên").
            ms = self.mentions(name)
            if len(ms) == 1 and len(norm_name(ms[0].text)) >= 0.6 * len(k):
                i = ms[0].agency_id
        return self.agencies[i] if i is not None else None

    def require(self, name: str) -> AgencyInfo:
        a = self.resolve(name)
        if a is None:
            sugg = self.suggest(name)
            hint = f" Có phải: {', '.join(sugg)}?" if sugg else ""
            raise NotFoundError(
                f"unknown agency {name!r}",
                user_message=f"Không tìm thấy cơ quan “{name.strip()}” trong danh mục.{hint}",
            )
        return a

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """The closest registered canonical names (by name and alias similarity)."""
        k = norm_name(name)
        if not k:
            return []
        scored: dict[int, float] = {}
        for norm, aid in self.by_norm.items():
            r = difflib.SequenceMatcher(None, k, norm).ratio()
            kt, nt = set(k.split()), set(norm.split())
            overlap = len(kt & nt - {"so", "ban", "uy", "nhan", "dan", "cac", "va"}) / max(1, len(kt))
            score = max(r, 0.5 * r + 0.5 * overlap)
            if score > scored.get(aid, 0.0):
                scored[aid] = score
        best = sorted(scored.items(), key=lambda x: -x[1])
        return [self.agencies[i].name for i, s in best[:n] if s >= 0.45]

    def mentions(self, text: str) -> list[Mention]:
        """Agency names in ``text`` (longest match first), with offsets into ``text``."""
        if self._pattern is None:
            return []
        folded = fold_aligned(text)
        out = []
        last_end = 0
        if self._first_words is None:
            return []
        for w in self._first_words.finditer(folded):
            if w.start() < last_end:
                continue
            pat = self._by_first[w.group(0)]
            m = pat.match(folded, w.start())
            if m is None:
                continue
            idx = int((m.lastgroup or "a0")[1:])
            out.append(Mention(m.start(), m.end(), self._pattern_ids[idx], text[m.start() : m.end()]))
            last_end = m.end()
        return out

    def expand(self, agency_id: int) -> set[int]:
        """A group's members (recursively), or the agency itself."""
        seen: set[int] = set()
        stack = [agency_id]
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            stack.extend(self.agencies[i].members)
        return seen

    def groups_of(self, agency_id: int) -> set[int]:
        """Groups that (directly or indirectly) include ``agency_id``."""
        return {g.id for g in self.agencies.values() if g.is_group and g.id != agency_id and agency_id in self.expand(g.id)}

    def successor(self, agency_id: int) -> AgencyInfo | None:
        a = self.agencies[agency_id]
        return self.agencies.get(a.successor_id) if a.successor_id else None

    def predecessors(self, agency_id: int) -> list[AgencyInfo]:
        return [a for a in self.agencies.values() if a.successor_id == agency_id]

    def successor_note(self, agency_id: int) -> str | None:
        a = self.agencies[agency_id]
        succ = self.successor(agency_id)
        if succ is None:
            return None
        when = f" (từ {a.effective:%d/%m/%Y})" if a.effective else ""
        base = a.note or f"{a.name} đã sáp nhập vào {succ.name}."
        return f"{base} Trách nhiệm hiện do {succ.name} đảm nhận{when}."
