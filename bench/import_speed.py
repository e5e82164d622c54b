"""Time of reading and importing a messy office registration sheet of N rows (SQLite, dry run).

The sheet is the test suite's 成果登记表 (title rows, merged cells, two-row header, synonyms, 万元,
Chinese dates, maturity words, 作价入股 …) with its good rows repeated to N; the script prints
seconds for finding the table and for the full check through the achievement service (a dry run
validates every row exactly as a real import does, then rolls back).

Usage: .venv/bin/python -m bench.import_speed [--rows 1000,5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from openpyxl import load_workbook


def build(folder: Path, rows: int) -> Path:
    """The messy sheet with its good rows repeated to rows data rows."""
    from tests.io import messy

    path = messy.build_achievements(folder / "sheet.xlsx")
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    for merged in list(sheet.merged_cells.ranges):
        if merged.min_row >= 6:
            sheet.unmerge_cells(str(merged))
    sheet.delete_rows(6, sheet.max_row)
    good = [cells for number, cells in messy.ROWS if number in {g.row for g in messy.GOOD}]
    for i in range(rows):
        cells = list(good[i % len(good)])
        cells[0] = i + 1
        cells[1] = f"{cells[1]}{i}"
        cells[2] = cells[2] or messy.UNI
        sheet.append(cells)
    workbook.save(path)
    return path


def run(rows: int) -> dict[str, float]:
    """Seconds to locate the table and to dry-run import rows rows."""
    from silian.accounts.service import create_user
    from silian.core.db import session_factory
    from silian.core.migrate import upgrade
    from silian.io.columns import match_header
    from silian.io.reader import read_table
    from silian.io.service import import_records
    from silian.organizations.models import Organization
    from tests.io import messy

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        session = session_factory(url)()
        for unit in (messy.UNI, messy.UNI2):
            session.add(Organization(name=unit, kind="university"))
        office = create_user(
            session, None, {"username": "bench", "password": "bench-pass-1", "role": "office"}
        )
        session.commit()
        path = build(folder, rows)
        start = time.perf_counter()
        read_table(path, lambda h: match_header("achievements", h))
        read = time.perf_counter() - start
        start = time.perf_counter()
        report = import_records(
            session, office, "achievements", path, dry_run=True, ignore=["备注"]
        )
        check = time.perf_counter() - start
        assert report.ok, report.errors[:3]
        session.close()
    return {"rows": rows, "read_s": round(read, 2), "check_s": round(check, 2)}


def main(argv: list[str] | None = None) -> int:
    """Print the timings for each size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="1000,5000")
    args = parser.parse_args(argv)
    for size in (int(x) for x in args.rows.split(",")):
        result = run(size)
        per_row = 1000 * result["check_s"] / size
        print(
            f"{size} rows: table found in {result['read_s']} s, "
            f"checked through the service in {result['check_s']} s ({per_row:.1f} ms/row)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
