import re
from pathlib import Path

import pyarrow

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def reference(text):
    found = re.search(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/", text)
    if found:
        if re.search("copyright", found.group(), re.IGNORECASE):
            return text[:found.start()] + text[found.end():]
        return text
    lines = text.split("\n")
    skip = 0
    for line in lines:
        if line.startswith(("//", "#", "--")) or not line:
            skip += 1
        else:
            break
    return "\n".join(lines[skip:]) if skip else text


def real_source_files() -> list[str]:
    """Python and C++ sources installed with pyarrow: real licence headers of both kinds."""
    root = Path(pyarrow.__file__).parent
    files = sorted(root.glob("*.py"))[:60] + sorted(root.glob("include/arrow/*.h"))[:60]
    return [f.read_text("utf-8", errors="replace") for f in files]


def test_hand_checked_results():
    op = juicer.operator("clean_copyright_mapper")
    assert kept_texts(op, [
        "/* Copyright 2020 X */\nint main;", "/* a plain comment */\ncode", "# Copyright\n\n# x\ncode\n# y",
        "-- sql header\nSELECT 1", "// only comments", "code first\n# later"]) == [
        "\nint main;", "/* a plain comment */\ncode", "code\n# y", "SELECT 1", "", "code first\n# later"]


def test_matches_reference_on_real_source_files(sample_texts):
    sources = real_source_files()
    assert sum("opyright" in s for s in sources) > 50
    assert_matches_reference(juicer.operator("clean_copyright_mapper"), reference,
                             EDGE_TEXTS + sources + sample_texts[:300])


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("clean_copyright_mapper"))
