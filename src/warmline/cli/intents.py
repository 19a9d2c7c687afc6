"""`warmline intents train` and `warmline intents predict`: intent models from CSV files.

Bad input raises `InvalidInput` naming file, line and column; `console.run` maps it to exit 1.
"""

from __future__ import annotations

import csv
import io
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from warmline.adapters.intent_files import (
    ModelCard,
    load_bundled_model,
    load_model,
    save_model,
)
from warmline.cli.console import err_console, out_console
from warmline.core.errors import InvalidInput, Problem
from warmline.service.intent_training import (
    IntentExample,
    TrainedIntentModel,
    TrainOptions,
    describe_options,
    train_intent_model,
)

if TYPE_CHECKING:
    from _csv import Reader as CsvReader  # the type csv.reader() returns

intents_app = typer.Typer(help="Train and run intent models (TF-IDF + logistic regression).",
                          no_args_is_help=True)

_MAX_PROBLEMS = 20
_MAX_LABELS_SHOWN = 30
Row = tuple[int, dict[str, str]]


@intents_app.command("train")
def train_command(
    data: Annotated[Path, typer.Argument(
        metavar="DATA.csv", help="Columns text,label and optionally question_type; "
        "label oos marks out-of-scope text.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="MODEL",
                                      help="The model file to write (.npz).")],
    val: Annotated[Path | None, typer.Option(
        "--val", metavar="VAL.csv", help="Rows to tune the out-of-scope threshold on "
        "(same columns). Default: 10% of DATA held out.")] = None,
    oos_threshold: Annotated[float | None, typer.Option(
        "--oos-threshold", min=0.0, max=1.0,
        help="Fix the out-of-scope threshold instead of tuning it.")] = None,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Attribution of the training data (dataset, licence, upstream) "
        "to record in the model; repeatable.")] = None,
) -> None:
    """Train an intent model from labelled rows and write it to MODEL."""
    rows = read_examples(data)
    val_rows = read_examples(val) if val is not None else []
    options = TrainOptions(oos_threshold=oos_threshold)
    with err_console.status("training", spinner="dots") as status:
        trained = train_intent_model(rows, val_rows=val_rows, options=options,
                                     progress=status.update)
    card = ModelCard(
        created_by=f"warmline {_version()} intents train", data_sha256=trained.data_sha256,
        rows=len(rows), label_counts=trained.label_counts,
        threshold_source=trained.threshold.source,
        sources=tuple({"attribution": text} for text in source or ()),
        options=describe_options(options))
    written = save_model(out, trained.model, card)
    _print_summary(trained, written)


#: The MODEL argument that names Warmline's default model (a file of that name wins).
BUNDLED = "bundled"


@intents_app.command("predict")
def predict_command(
    model: Annotated[Path, typer.Argument(
        metavar="MODEL", help="A model file from `train`, or `bundled` for the default model "
        "(cancel, talk-to-human, billing, scheduling, complaint, oos).")],
    input_csv: Annotated[Path, typer.Argument(metavar="INPUT.csv",
                                              help="Rows with a text column.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="OUT.csv", help="Where to write; default stdout.")] = None,
) -> None:
    """Add label and confidence to every row of INPUT.csv.

    Label oos means the model should not answer.

    Existing label and confidence columns are overwritten.
    """
    bundled = str(model) == BUNDLED and not model.exists()
    classifier = load_bundled_model() if bundled else load_model(model)
    header, rows = read_csv(input_csv, required=("text",))
    predictions = classifier.predict_many([fields["text"] for _, fields in rows])
    columns = header + [name for name in ("label", "confidence") if name not in header]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for (_, fields), prediction in zip(rows, predictions, strict=True):
        writer.writerow({**fields, "label": prediction.label,
                         "confidence": f"{prediction.confidence:.4f}"})
    if out is None:
        sys.stdout.write(buffer.getvalue())
        return
    out.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    unknown = sum(p.label == "oos" for p in predictions)
    err_console.print(f"wrote {len(rows)} rows to {out} ({unknown} oos)")


def read_examples(path: Path) -> list[IntentExample]:
    """Labelled rows of a training CSV; every empty text or label is reported, located."""
    header, rows = read_csv(path, required=("text", "label"))
    problems = [Problem("is empty", file=str(path), line=line, path=f"column {name!r}")
                for line, fields in rows for name in ("text", "label")
                if not fields[name].strip()]
    if problems:
        raise InvalidInput(problems[:_MAX_PROBLEMS])
    if not rows:
        raise InvalidInput([Problem("has a header but no rows", file=str(path), line=2)])
    has_qt = "question_type" in header
    examples = [IntentExample(fields["text"], fields["label"].strip(),
                              (fields["question_type"].strip() or None) if has_qt else None)
                for _, fields in rows]
    _check_question_types(examples, [line for line, _ in rows], str(path))
    return examples


def _check_question_types(examples: list[IntentExample], lines: list[int], name: str) -> None:
    """A label maps to one question type; name the line of each row that disagrees."""
    first: dict[str, tuple[str, int]] = {}
    problems = []
    for example, line in zip(examples, lines, strict=True):
        if not example.question_type:
            continue
        known, where = first.setdefault(example.label, (example.question_type, line))
        if known != example.question_type:
            problems.append(Problem(
                f"label {example.label!r} has question type {example.question_type!r} here "
                f"but {known!r} on line {where}", file=name, line=line,
                path="column 'question_type'"))
    if problems:
        raise InvalidInput(problems[:_MAX_PROBLEMS])


def read_csv(path: Path, *, required: tuple[str, ...]) -> tuple[list[str], list[Row]]:
    """Header and ``(line, fields)`` rows of a UTF-8 CSV with the ``required`` columns.

    Raises:
        InvalidInput: unreadable file, bad encoding, missing column, or rows whose number
            of fields differs from the header's, each with file and line.
    """
    name = str(path)
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not any(header):
            raise InvalidInput([Problem(f"is empty; expected a header with the columns "
                                        f"{','.join(required)}", file=name, line=1)])
        _check_header(header, required, name)
        return header, _records(reader, header, name)
    except csv.Error as err:
        raise InvalidInput([Problem(f"is not valid CSV: {err}", file=name,
                                    line=reader.line_num)]) from err


def _check_header(header: list[str], required: tuple[str, ...], name: str) -> None:
    problems = [Problem(f"has no {column!r} column (header: {','.join(header)})",
                        file=name, line=1) for column in required if column not in header]
    problems += [Problem(f"names the column {column!r} twice", file=name, line=1)
                 for column in sorted({c for c in header if header.count(c) > 1})]
    if problems:
        raise InvalidInput(problems)


def _records(reader: CsvReader, header: list[str], name: str) -> list[Row]:
    rows: list[Row] = []
    problems: list[Problem] = []
    line = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            if len(record) != len(header):
                problems.append(Problem(f"has {len(record)} fields; the header has "
                                        f"{len(header)}", file=name, line=line))
            else:
                rows.append((line, dict(zip(header, record, strict=True))))
        line = reader.line_num + 1
    if problems:
        raise InvalidInput(problems[:_MAX_PROBLEMS])
    return rows


def _read_text(path: Path) -> str:
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput([Problem("no such file", file=name)]) from None
    except OSError as err:
        raise InvalidInput([Problem(f"cannot read: {err.strerror}", file=name)]) from err
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InvalidInput([Problem(f"is not UTF-8 text (byte {err.start})", file=name,
                                    line=line)]) from err


def _print_summary(trained: TrainedIntentModel, written: Path) -> None:
    model, threshold = trained.model, trained.threshold
    table = Table(title=f"intent model {written}", show_edge=False)
    table.add_column("label")
    table.add_column("rows", justify="right")
    table.add_column("question type")
    counts = list(trained.label_counts.items())
    for label, count in counts[:_MAX_LABELS_SHOWN]:
        table.add_row(label, str(count), model.question_types.get(label, ""))
    if len(counts) > _MAX_LABELS_SHOWN:
        table.add_row(f"... {len(counts) - _MAX_LABELS_SHOWN} more", "", "")
    console = out_console()
    console.print(table)
    measured = ""
    if threshold.in_scope_accuracy is not None:
        measured = f"; in-scope accuracy {threshold.in_scope_accuracy:.1%}"
    if threshold.oos_recall is not None:
        measured += f", OOS recall {threshold.oos_recall:.1%}"
    console.print(f"OOS threshold {threshold.threshold:.2f} ({threshold.source}, "
                  f"{threshold.rows} rows{measured})")
    console.print(f"{sum(trained.label_counts.values())} rows, {len(model.labels)} labels, "
                  f"{len(model.vocabulary)} features; trained in {trained.seconds:.1f} s; "
                  f"{written.stat().st_size / 1e6:.2f} MB")


def _version() -> str:
    try:
        return metadata.version("warmline")
    except metadata.PackageNotFoundError:
        return "unknown"
