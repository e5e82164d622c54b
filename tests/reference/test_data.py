"""Reference data loads from the package and the chain configuration is validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from silian.reference import data as reference


def test_taxonomies_are_complete() -> None:
    codes = reference.industry_codes()
    assert codes["3973"].name == "集成电路制造"
    assert codes["3973"].parent == "397" and codes["397"].parent == "39"
    assert sum(1 for c in codes.values() if c.level == 0) == 20
    assert sum(1 for c in codes.values() if c.level == 3) >= 1381
    assert any(c.description for c in codes.values())
    # The source cuts this division's name; pages show the standard's.
    assert codes["37"].name == "铁路、船舶、航空航天和其他运输设备制造业"
    assert len(reference.csl_disciplines()) == 67
    assert len({d.category for d in reference.csl_disciplines()}) == 13
    assert len(reference.nsfc_codes()) == 2916


def test_regions_and_universities() -> None:
    assert reference.region_name("370212") == "山东省青岛市崂山区"
    assert "370211" in reference.districts_of("3702")
    qingdao = [u.name for u in reference.universities() if u.city == "青岛市"]
    assert "中国海洋大学" in qingdao and len(qingdao) >= 20


def test_packaged_chains_are_valid() -> None:
    chains = reference.load_chains(reference.DATA / "chains.yaml")
    assert 15 <= len(chains) <= 25
    names = {c.name for c in chains}
    for wanted in ("集成电路", "虚拟现实", "新能源汽车", "智能家电", "新材料", "纺织服装"):
        assert wanted in names
    assert all(c.gbt_codes and c.disciplines for c in chains)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "chains.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("chains: []", "缺少 chains 列表"),
        ("chains: [{code: a}]", "第 1 条产业链: 缺少 name"),
        ("chains: [{code: a, name: 甲, gbt_codes: ['9999']}]", "国标行业代码不存在：9999"),
        ("chains: [{code: a, name: 甲, disciplines: [炼金术]}]", "未知学科：炼金术"),
        ("chains: [{code: a, name: 甲}, {code: a, name: 乙}]", "第 2 条产业链（乙）: a 重复"),
        ("chains: [unclosed", "不是有效的 YAML"),
    ],
)
def test_bad_chain_file_names_the_entry(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(reference.ReferenceError) as info:
        reference.load_chains(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_chain_file(tmp_path: Path) -> None:
    with pytest.raises(reference.ReferenceError, match="文件不存在"):
        reference.load_chains(tmp_path / "nope.yaml")
