"""Coverage-guided fuzzing (atheris, libFuzzer) of what reads customer and network input: the
longer run of the properties in tests/domain/test_fuzz_properties.py, outside CI.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/fuzz_inputs.py xlsx -max_total_time=120
    .venv/bin/python benchmarks/fuzz_inputs.py all -max_total_time=60     # each target in turn

Targets: xlsx, csv (the spreadsheet readers, from bytes), number (phone.normalize), placeholders
(compile_text + render), receipt (read_receipt from a deliver_sm's bytes). A target fails when the
code raises anything but its own clear error (UnreadableFile, InvalidNumber) or breaks a promise
(a receipt's stored text with a NUL, a number that is not E.164). libFuzzer prints the executions
("#N DONE") and writes a crash-* file with the input when one fails."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from webapp.domain import phone
    from webapp.domain.placeholders import compile_text
    from webapp.domain.sheets import UnreadableFile, open_spreadsheet
    from webapp.domain.smpp_pdu import ID_MAX, read_receipt

SCRATCH = Path(tempfile.mkdtemp(prefix="fuzz-"))


def _seed_workbook() -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Telefon", "Nume", "Oraș"])
    book.active.append(["0722123456", "Ștefan", "Iași"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(data: bytes, name: str) -> None:
    path = SCRATCH / name
    path.write_bytes(data)
    try:
        with open_spreadsheet(path, name) as book:
            for index, _ in enumerate(book.sheets()):
                book.preview(index)
                for _ in book.rows(index):
                    pass
    except UnreadableFile:
        pass


def xlsx(data: bytes) -> None:
    _sheet(data, "in.xlsx")


def csv_(data: bytes) -> None:
    _sheet(data, "in.csv")


def number(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    region = fdp.PickValueInList(["RO", "MD", "UA", "GB", "US", None])
    raw = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        e164 = phone.normalize(raw, region)
    except phone.InvalidNumber:
        return
    if not (e164.startswith("+") and e164[1:].isdigit() and len(e164) <= 16):
        raise AssertionError(f"not E.164: {e164!r} from {raw!r}")


def placeholders(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    columns = [fdp.ConsumeUnicodeNoSurrogates(8) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    values = [fdp.ConsumeUnicodeNoSurrogates(8) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    template = compile_text(fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()), columns)
    template.render(values)
    template.render(dict(zip(columns, values)))


def receipt(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    coding = fdp.ConsumeIntInRange(0, 255)
    state = fdp.ConsumeIntInRange(0, 9)
    tlv = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 70)) if fdp.ConsumeBool() else None
    reading = read_receipt(fdp.ConsumeBytes(fdp.remaining_bytes()), coding, tlv, state)
    if "\x00" in reading.raw:
        raise AssertionError("a NUL in the stored receipt")
    reading.raw.encode("utf-8")
    if reading.parsed and len(reading.parsed.upstream_id) > ID_MAX:
        raise AssertionError("an id wider than its column")


TARGETS = {"xlsx": xlsx, "csv": csv_, "number": number, "placeholders": placeholders, "receipt": receipt}
SEEDS = {
    "xlsx": [_seed_workbook],
    "csv": [lambda: "Telefon;Nume\n0722 123 456;Ștefan\n".encode()],
    "receipt": [
        lambda: b"id:0A1B sub:001 dlvrd:001 submit date:2612051200 done date:2612051201 "
        b"stat:DELIVRD err:000 text:\x00B\x00u\x00n"
    ],
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in (*TARGETS, "all"):
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)},all}} [libFuzzer options]")
    name, options = sys.argv[1], sys.argv[2:]
    if name == "all":  # each target in its own process: libFuzzer runs one per process
        for target in TARGETS:
            print(f"== {target}", flush=True)
            subprocess.run([sys.executable, __file__, target, *options], check=False)
        return
    corpus = SCRATCH / f"corpus-{name}"
    corpus.mkdir()
    for i, make in enumerate(SEEDS.get(name, [])):
        (corpus / f"seed{i}").write_bytes(make())
    os.chdir(SCRATCH)  # crash-* files land here, not in the checkout
    atheris.Setup([sys.argv[0], *options, str(corpus)], TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
