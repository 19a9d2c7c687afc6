"""Write the committed model's scores into tests/data/language_sample.jsonl (`expected`), so
the CI test `test_the_committed_model_scores_the_sample_as_recorded` fails when the model file
changes without this step. `make models` runs it right after training; the texts and their
labels are kept as written."""

from __future__ import annotations

import json
from pathlib import Path

from warmline.adapters.language_files import bundled_language_model
from warmline.core.language.scorer import HEADS

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "language_sample.jsonl"


def main() -> None:
    model = bundled_language_model()
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        scores = model.score(str(row["text"]))
        row["expected"] = {head: getattr(scores, head).score for head in HEADS}
    SAMPLE.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    print(f"recorded {len(rows)} scores in {SAMPLE}")


if __name__ == "__main__":
    main()
