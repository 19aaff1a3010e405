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
