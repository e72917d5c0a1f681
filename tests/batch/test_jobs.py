"""The JOBS file of `psigraph batch` (batch/jobs.py): text lines, JSON Lines, and bad lines as clip errors."""
import pytest
from psigraph.batch.jobs import read_jobs

from psigraph.errors import PsigraphError


def test_text_file_one_clip_per_non_blank_line(tmp_path):
    f = tmp_path / "j.txt"
    f.write_bytes("\ufeffHello there.\r\n\n  \nSecond line.\nbad \xff byte\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    jobs = read_jobs(str(f))
    assert [(j.id, j.line, j.text, j.error) for j in jobs[:2]] == [("00001", 1, "Hello there.", None),
                                                                  ("00004", 4, "Second line.", None)]
    assert jobs[2].id == "00005" and jobs[2].error == "line 5: the text is not UTF-8 (byte 4)"


def test_json_lines_fields_and_one_error_per_bad_line(tmp_path):
    f = tmp_path / "j.jsonl"
    f.write_text('{"id": "faq-1", "text": "Hi.", "emotion": "happy", "persona": "bright", "like": 3}\n'
                 '{"text": "No id."}\n'
                 '{"id": "faq-1", "text": "Again."}\n'
                 '{"id": "../x", "text": "Escape."}\n'
                 '{"id": "y", "text": 5}\n'
                 '{"id": "z", "txt": "typo"}\n'
                 'not json\n', encoding="utf-8")
    jobs = read_jobs(str(f))
    assert (jobs[0].id, jobs[0].emotion, jobs[0].persona, jobs[0].like, jobs[0].error) == \
        ("faq-1", "happy", "bright", (3,), None)
    assert (jobs[1].id, jobs[1].text) == ("00002", "No id.")
    errors = [j.error for j in jobs[2:]]
    assert errors[0] == "line 3: id 'faq-1' is used by an earlier line"
    assert "must be 1-64 letters" in errors[1] and '"text" must be a string' in errors[2]
    assert "unknown field 'txt'" in errors[3] and errors[4].startswith("line 7: not a JSON object")
    assert all("\n" not in e for e in errors)


def test_a_jobs_file_that_cannot_be_used_is_one_error(tmp_path):
    with pytest.raises(PsigraphError, match="cannot read the jobs file"):
        read_jobs(str(tmp_path / "missing.txt"))
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(PsigraphError, match="no clips"):
        read_jobs(str(tmp_path / "empty.txt"))


def test_dicts_are_checked_like_json_lines():
    from psigraph.batch.jobs import jobs_from_dicts
    jobs = jobs_from_dicts([{"id": "a", "text": "Hi.", "like": ["x", 2], "mix": 0.25}, {"id": "a", "text": "Hi."},
                            "not a dict", {"text": None}])
    assert (jobs[0].id, jobs[0].like, jobs[0].mix, jobs[0].error) == ("a", ("x", 2), 0.25, None)
    assert [j.error for j in jobs[1:]] == ["line 2: id 'a' is used by an earlier line",
                                          "line 3: not a JSON object (one {\"text\": ...} per line)",
                                          "line 4: \"text\" must be a string (got NoneType)"]
