"""Read-only reference data shipped in the package: GB/T 4754, NSFC, CSL, regions, universities."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

DATA = Path(str(files("silian") / "reference" / "data"))


class ReferenceError(ValueError):
    """A reference or configuration file is malformed; the message names the file and entry."""


@dataclass(frozen=True)
class IndustryCode:
    """One GB/T 4754-2017 code: 门类 (letter), 大类 (2), 中类 (3) or 小类 (4 digits)."""

    code: str
    name: str
    level: int
    parent: str
    description: str = ""


@dataclass(frozen=True)
class CslDiscipline:
    """One of the 67 CSL disciplines with its category (门类) and our stable code."""

    code: str
    name: str
    category: str


@dataclass(frozen=True)
class NsfcCode:
    """One NSFC research-area code (申请代码)."""

    code: str
    name: str
    name_en: str
    parent: str


@dataclass(frozen=True)
class University:
    """A higher-education institution from the MoE list (2017)."""

    name: str
    code: str
    authority: str
    city: str
    level: str
    note: str


@dataclass(frozen=True)
class ChainConfig:
    """One configured industry chain (产业链)."""

    code: str
    name: str
    description: str
    keywords: list[str] = field(default_factory=list)
    gbt_codes: list[str] = field(default_factory=list)
    disciplines: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def industry_codes() -> dict[str, IndustryCode]:
    """Every GB/T 4754-2017 code from the tree, with the standard's 说明 joined in."""
    descriptions: dict[str, str] = {}
    with (DATA / "gbt4754_2017_with_descriptions.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            descriptions[row["INDUSTRY_ID"].strip()] = (row.get("DESCRIPTION") or "").strip()
    tree = json.loads((DATA / "gbt4754_2017_tree.json").read_text(encoding="utf-8"))
    out: dict[str, IndustryCode] = {}

    def walk(node: dict[str, Any], parent: str, level: int) -> None:
        code = str(node["code"])
        out[code] = IndustryCode(code, node["name"], level, parent, descriptions.get(code, ""))
        for child in node.get("children") or []:
            walk(child, code, level + 1)

    roots = tree if isinstance(tree, list) else tree.get("children", [tree])
    for root in roots:
        walk(root, "", 0)
    return out


@dataclass(frozen=True)
class CatalogueMajor:
    """One major of the national catalogues (本科 or 高职专科) with its default mappings."""

    level: str
    code: str
    name: str
    category: str
    disciplines: tuple[str, ...]
    chains: tuple[str, ...]


@lru_cache(maxsize=1)
def majors_catalogue() -> list[CatalogueMajor]:
    """The shipped subset of the undergraduate (2020 edition codes) and higher-vocational (2021)
    major catalogues, with default CSL-discipline and chain mappings (see SOURCES.md)."""
    out: list[CatalogueMajor] = []
    seen: set[tuple[str, str]] = set()
    with (DATA / "majors.csv").open(encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            key = (row["level"].strip(), row["code"].strip())
            if not all(key) or not row["name"].strip():
                raise ReferenceError(f"majors.csv 第 {line} 行：层次、代码和名称均为必填")
            if key in seen:
                raise ReferenceError(f"majors.csv 第 {line} 行：专业代码 {key[1]} 重复")
            seen.add(key)
            out.append(
                CatalogueMajor(
                    level=key[0],
                    code=key[1],
                    name=row["name"].strip(),
                    category=row["category"].strip(),
                    disciplines=tuple(row["disciplines"].split()),
                    chains=tuple(row["chains"].split()),
                )
            )
    return out


@lru_cache(maxsize=1)
def csl_disciplines() -> list[CslDiscipline]:
    """The 67 CSL disciplines in catalogue order."""
    raw = json.loads((DATA / "csl_disciplines.json").read_text(encoding="utf-8"))
    return [CslDiscipline(**d) for d in raw["disciplines"]]


@lru_cache(maxsize=1)
def nsfc_codes() -> list[NsfcCode]:
    """The NSFC code tree (2,916 nodes, three levels)."""
    out = []
    with (DATA / "nsfc.jl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                parents = d.get("parents") or []
                out.append(
                    NsfcCode(
                        d["_id"], d["name"], d.get("name_en", ""), parents[-1] if parents else ""
                    )
                )
    return out


@lru_cache(maxsize=1)
def regions() -> dict[str, str]:
    """Administrative division code → name for provinces, cities and counties (NBS 2023)."""
    out: dict[str, str] = {}
    for name in ("provinces.csv", "cities.csv", "areas.csv"):
        with (DATA / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[row["code"]] = row["name"]
    return out


def region_name(code: str) -> str:
    """Full name of a region code, e.g. 370212 → 山东省青岛市崂山区."""
    names = regions()
    parts = [names.get(code[:n], "") for n in (2, 4, 6) if len(code) >= n]
    parts = [p for p in parts if p and p != "市辖区"]
    return "".join(dict.fromkeys(parts))


def districts_of(city_code: str) -> dict[str, str]:
    """Counties and districts of one city (e.g. 3702 青岛市)."""
    return {c: n for c, n in regions().items() if len(c) == 6 and c.startswith(city_code)}


@lru_cache(maxsize=1)
def universities() -> list[University]:
    """The MoE list of higher-education institutions (rows with a numeric 序号 only)."""
    out = []
    with (DATA / "universities_2017.csv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) >= 6 and row[0].strip().isdigit():
                name = row[1].replace("\n", "").strip()
                out.append(
                    University(
                        name, row[2].strip(), row[3], row[4], row[5], row[6] if len(row) > 6 else ""
                    )
                )
    return out


def chains_file() -> Path:
    """The chain configuration in use: SILIAN_CHAINS_FILE or the packaged chains.yaml."""
    return Path(os.environ.get("SILIAN_CHAINS_FILE") or DATA / "chains.yaml")


def load_chains(path: Path | None = None) -> list[ChainConfig]:
    """Read and validate the chain configuration; errors name the file and the chain."""
    path = path or chains_file()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceError(f"{path}: 文件不存在") from exc
    except yaml.YAMLError as exc:
        raise ReferenceError(f"{path}: 不是有效的 YAML（{exc}）") from exc
    items = raw.get("chains") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ReferenceError(f"{path}: 缺少 chains 列表")
    codes = industry_codes()
    known_disciplines = {d.name for d in csl_disciplines()}
    out: list[ChainConfig] = []
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        where = f"{path}: 第 {number} 条产业链"
        if not isinstance(item, dict):
            raise ReferenceError(f"{where}: 应为键值对")
        for key in ("code", "name"):
            if not str(item.get(key) or "").strip():
                raise ReferenceError(f"{where}: 缺少 {key}")
        chain = ChainConfig(
            code=str(item["code"]).strip(),
            name=str(item["name"]).strip(),
            description=str(item.get("description") or "").strip(),
            keywords=[str(k) for k in item.get("keywords") or []],
            gbt_codes=[str(c) for c in item.get("gbt_codes") or []],
            disciplines=[str(d) for d in item.get("disciplines") or []],
        )
        for key in (chain.code, chain.name):
            if key in seen:
                raise ReferenceError(f"{where}（{chain.name}）: {key} 重复")
            seen.add(key)
        bad_codes = [c for c in chain.gbt_codes if c not in codes]
        if bad_codes:
            raise ReferenceError(
                f"{where}（{chain.name}）: 国标行业代码不存在：{'、'.join(bad_codes)}"
            )
        bad = [d for d in chain.disciplines if d not in known_disciplines]
        if bad:
            raise ReferenceError(f"{where}（{chain.name}）: 未知学科：{'、'.join(bad)}")
        out.append(chain)
    return out


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSON-lines file, skipping blank lines."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def csl_records() -> list[dict[str, Any]]:
    """The 1,000 CSL dev records: title, abstract, keywords, category, discipline."""
    return list(read_jsonl(DATA / "csl" / "csl_dev_1000.jsonl"))


def csldcp_abstracts() -> list[dict[str, Any]]:
    """FewCLUE CSLDCP discipline-labelled abstracts (content, label, id)."""
    return list(read_jsonl(DATA / "csldcp" / "train_few_all.json"))


def demand_texts() -> list[dict[str, Any]]:
    """Demand texts written for Silian (practitioners' terms, then everyday words)."""
    rows = list(read_jsonl(DATA / "csl" / "demands_dev.jsonl"))
    rows += list(read_jsonl(DATA / "csl" / "hard_demands_dev.jsonl"))
    return rows
