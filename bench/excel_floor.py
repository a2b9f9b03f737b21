"""The floor for an Excel import: read a workbook with python-calamine and insert its rows as text
with one executemany into an in-memory SQLite table. No parsing, mapping or checks, so an
import can be compared with the least any import of that file could cost.

    python bench/excel_floor.py [PATH] [ROWS]

make_workbook writes a realistic 9-column workbook (title row above the header, Arabic and
English names) with openpyxl's write-only mode; floor_seconds times the floor on a file.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from python_calamine import CalamineWorkbook

HEADERS = [
    "BANK GUARANTEE NUMBER",
    "CONTRACTOR NAME",
    "BANK NAME",
    "AMOUNT",
    "VALIDITY DATE",
    "CONTRACT NO.",
    "PO NO.",
    "Type",
    "Comment",
]

_SUPPLIERS = [
    "AL-KAMAL IMPORT OFFICE CO. LTD.",
    "TREATMENT OCEAN MEDICAL CO.",
    "Integrated Gulf Biosystems LLC",
    "SCHINDLER OLAYAN ELEVATOR CO. LTD.",
    "Saudi Business Machines Ltd. Co.",
    "ZIMMO TRADING CO. LTD.",
    "LANA MEDICAL COMPANY",
    "ERNST & YOUNG",
    "الشركة الوطنية للمنتجات الطبية",
    "شركة الجراحة المتقدمة للمستلزمات الطبية",
    "شركة ميدترونيك العربية السعودية",
    "مؤسسة نخبة الحلول الذكية للمعدات",
    "شركة الجيل الطبية والتجارية",
    "الفيصلية للانظمة الطبية",
    "شركة ابراهيم محمد العبود للتنمية ",
]
_BANKS = [
    "Alrajhi Bank",
    "Bank Aljazira",
    "Saudi Investment Bank",
    "SAB",
    "ANB",
    "SNB",
    "RIYAD BANK",
    "ALINMA BANK",
    "ALBILAD BANK",
    "BANQUE SAUDI FRANSI",
    "البنك الأهلي السعودي",
    "بنك الرياض",
]
_PREFIXES = ["LG", "OG/CC0", "RLG", "APNGCU", "ILGSA0", "MD2", "24OGTE", "C2", "PEB-WPM-"]
_TYPES = ["FINAL", "ADVANCED", "Final", "Initial"]
_COMMENTS = ["للتمديد", "للإفراج", "for extension", "", "", "release after delivery"]


def make_workbook(path: str | Path, rows: int = 50_000, *, seed: int = 1) -> Path:
    """Write a workbook of `rows` guarantee rows (plus a title row and a header row) to path."""
    from openpyxl import Workbook  # only the generator needs openpyxl

    rng = random.Random(seed)
    path = Path(path)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Guarantees")
    sheet.append(["Bank guarantees register - generated for the benchmark"])
    sheet.append(HEADERS)
    start = date(2025, 1, 1)
    for i in range(rows):
        po = rng.random() < 0.5
        sheet.append(
            [
                f"{rng.choice(_PREFIXES)}{100000 + i}",
                rng.choice(_SUPPLIERS),
                rng.choice(_BANKS),
                round(rng.uniform(500, 5_000_000), rng.choice((0, 2))),
                start + timedelta(days=rng.randrange(0, 900)),
                None if po else f"C/{rng.randrange(1, 300):04d}/{rng.randrange(20, 45)}",
                float(rng.randrange(400_000, 450_000)) if po else None,
                rng.choice(_TYPES),
                rng.choice(_COMMENTS) or None,
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def floor_seconds(path: str | Path) -> float:
    """Seconds to read the first sheet with calamine and executemany its rows into SQLite as text."""
    began = time.perf_counter()
    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_index(0).to_python()
    con = sqlite3.connect(":memory:")
    try:
        con.execute("create table t (c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text, c8 text, c9 text)")
        con.executemany(
            "insert into t values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ([None if v == "" else str(v) for v in (list(row[:9]) + [""] * (9 - len(row)))] for row in rows),
        )
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - began


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/floor.xlsx")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    if not target.exists():
        make_workbook(target, count)
    print(f"{target}: floor {floor_seconds(target):.3f} s")
