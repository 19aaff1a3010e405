"""Each benchmark rewrites only its own section of bench/RESULTS.md."""

from bench.results_md import write_section


def test_a_section_is_replaced_and_the_others_kept(tmp_path):
    path = tmp_path / "RESULTS.md"
    write_section("load", "load v1", path=path)
    write_section("national", "national v1", path=path)
    write_section("load", "load v2", path=path)
    text = path.read_text()
    assert "load v2" in text and "load v1" not in text and "national v1" in text
    assert text.index("load v2") < text.index("national v1")


def test_the_results_file_holds_each_section_once_none_inside_another():
    """A bad merge once nested sections (a rewrite of one would have erased the others)."""
    import re

    from bench.results_md import RESULTS

    markers = re.findall(r"<!-- (begin|end) ([\w-]+) -->", RESULTS.read_text(encoding="utf-8"))
    names = [name for kind, name in markers if kind == "begin"]
    assert markers == [(kind, n) for n in names for kind in ("begin", "end")]
    assert len(names) == len(set(names))
    # The attachment bombs stand beside the import bombs (issue 24).
    assert names.index("attachment-bomb") == names.index("import-bomb") + 1
