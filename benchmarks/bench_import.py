"""Import speed and memory: a 100,000-row Excel file (and the same as CSV) through the import
wizard's review and save, the code the RQ job runs, into a new contact group.

    DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python benchmarks/bench_import.py --rows 100000

Prints rows/s and seconds for the review (reading, checking every number) and the save
(reading again, inserting), and the importing process's peak memory (max RSS). The target:
100,000 rows in under 20 s, under 300 MB. Without DATABASE_URL a temporary SQLite file is used.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_files(folder: Path, rows: int) -> tuple[Path, Path]:
    from openpyxl import Workbook

    xlsx, csv = folder / f"contacts-{rows}.xlsx", folder / f"contacts-{rows}.csv"
    # A normal workbook, so the sheet carries its <dimension> as Excel writes it.
    book = Workbook()
    sheet = book.active
    sheet.title = "Clienți"
    sheet.append(["Export CRM"])
    sheet.append([])
    sheet.append(["Nume", "Prenume", "Telefon", "Oraș", "Cod client"])
    with csv.open("w", encoding="utf-8-sig") as out:
        out.write("Nume;Prenume;Telefon;Oraș;Cod client\n")
        for i in range(rows):
            # Mostly distinct numbers written in the ways customers write them, some duplicates, some junk.
            n = 722000000 + (i if i % 50 else i // 2)
            phone = ["0" + str(n), f"+40 {n}", f"0040{n}", f"(0{str(n)[:3]}) {str(n)[3:]}", 40000000000 + n][i % 5]
            if i % 997 == 0:
                phone = "07xx"
            row = [f"Popescu {i}", "Ioana", phone, "Brașov", f"C{i:06d}"]
            sheet.append(row)
            out.write(";".join(str(v) for v in row) + "\n")
    book.save(xlsx)
    return xlsx, csv


def run_import(path: str, first_row: int, database_url: str) -> None:
    """In a child process, so its peak memory is the import's alone."""
    from decimal import Decimal

    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import ContactImport
    from webapp.services import accounts, import_rows, imports
    from webapp.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench-import-up-"))
    app = create_app(Settings.from_env({}, database_url=database_url, secret_key="bench", upload_dir=str(folder)))
    with app.app_context():
        upgrade()
        user = accounts.create_account(
            db.session, None, username=f"imp{time.time_ns()}", password="Cifre-Rapide-2026", credit=Decimal("0")
        )
        with open(path, "rb") as f:
            imp = imports.start(db.session, user, str(folder), Path(path).name, f, group_name="Bench")
        imports.choose_first_row(db.session, imp, 0, first_row)
        imports.set_mapping(db.session, imp, dict(enumerate(["last_name", "first_name", "phone", "keep", "keep"])))
        db.session.commit()
        started = time.perf_counter()
        analysis = import_rows.analyse(db.session, imp, "RO")
        db.session.commit()
        reviewed = time.perf_counter()
        result = import_rows.save(db.session, db.session.get(ContactImport, imp.id), "RO")
        db.session.commit()
        saved = time.perf_counter()
    rows = analysis["rows"]
    print(
        f"  review: {reviewed - started:6.1f} s  {rows / (reviewed - started):8.0f} rows/s "
        f"(valid {analysis['valid']}, invalid {analysis['invalid']}, duplicates {analysis['duplicates_in_file']})"
    )
    print(f"  save  : {saved - reviewed:6.1f} s  {rows / (saved - reviewed):8.0f} rows/s ({result['to_add']} contacts)")
    print(f"  total : {saved - started:6.1f} s for {rows} rows")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--run", nargs=2, metavar=("FILE", "FIRST_ROW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    if args.run:
        run_import(args.run[0], int(args.run[1]), database_url)
        return
    xlsx, csv = make_files(tmp, args.rows)
    kind = "PostgreSQL" if database_url.startswith("postg") else "SQLite"
    for path, first_row in ((xlsx, 4), (csv, 2)):
        print(f"import: {path.name} ({path.stat().st_size / 1e6:.1f} MB), {kind}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run(
            [sys.executable, __file__, "--run", str(path), str(first_row)],
            check=True,
            env={**os.environ, "DATABASE_URL": database_url},
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"  peak memory of the importing process: {max(peak, before) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
