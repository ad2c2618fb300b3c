"""Results files: atomic writes, the tolerant reader, the row journal, unreadable checkpoints."""

import json

import pytest
import torch

from curatedrl.run.records.checkpoint import load_state, save_state
from curatedrl.run.records.journal import RowJournal
from curatedrl.run.records.rundir import (ResultsFileWarning, read_json_or_warn, write_csv,
                                          write_json)
from curatedrl.errors import CuratedRLError


def test_atomic_writers_leave_only_the_target(tmp_path):
    write_json(tmp_path / "final.json", {"a": 1})
    write_csv(tmp_path / "metrics.csv", [{"step": 1, "x": 0.5}, {"step": 2, "y": 1}])
    save_state(tmp_path / "resume.pt", {"t": torch.arange(3)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final.json", "metrics.csv",
                                                          "resume.pt"]
    assert (tmp_path / "metrics.csv").read_bytes() == b"step,x,y\r\n1,0.5,\r\n2,,1\r\n"
    assert torch.equal(load_state(tmp_path / "resume.pt")["t"], torch.arange(3))


@pytest.mark.parametrize("content,problem", [
    ('{"algo": "bc", "normalized_score_last"', "JSONDecodeError"),  # cut short
    ("", "JSONDecodeError"),
    (b"\xff\xfe{}", "UnicodeDecodeError"),
    ("[1, 2]", "holds a JSON list, not an object"),
])
def test_read_json_or_warn_skips_a_corrupt_file_naming_it(tmp_path, content, problem):
    path = tmp_path / "final.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.warns(ResultsFileWarning, match=f"skipping results file '{path}': .*{problem}"):
        assert read_json_or_warn(path) is None
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"status": "finished"}))
    assert read_json_or_warn(good) == {"status": "finished"}


def test_read_json_or_warn_missing_file(tmp_path):
    with pytest.warns(ResultsFileWarning, match="FileNotFoundError"):
        assert read_json_or_warn(tmp_path / "nope.json") is None


def test_journal_drops_rows_written_after_the_last_checkpoint(tmp_path):
    j = RowJournal(tmp_path / "rows.jsonl")
    metrics, evals = [{"step": 10, "train/loss": 0.1}], [{"step": 10, "normalized_mean": 1 / 3}]
    size = j.append({"metrics": metrics, "eval": evals})
    metrics.append({"step": 20, "train/loss": float("nan")})
    j.append({"metrics": metrics, "eval": evals})  # killed before resume.pt recorded this
    again = RowJournal(tmp_path / "rows.jsonl")
    tables = again.restore(size)
    assert tables == {"metrics": metrics[:1], "eval": evals, "episodes": []}
    assert (tmp_path / "rows.jsonl").stat().st_size == size
    assert isinstance(tables["metrics"][0]["step"], int)
    metrics[1]["train/loss"] = 0.2
    again.append({"metrics": metrics, "eval": evals})  # continues after the cut
    assert again.restore((tmp_path / "rows.jsonl").stat().st_size)["metrics"] == metrics


def test_journal_shorter_than_the_checkpoint_says_is_refused(tmp_path):
    j = RowJournal(tmp_path / "rows.jsonl")
    size = j.append({"metrics": [{"step": 1}], "eval": []})
    with pytest.raises(CuratedRLError, match="rows.jsonl does not match resume.pt"):
        j.restore(size + 10)


def test_unreadable_checkpoint_is_refused_and_kept(tmp_path):
    path = tmp_path / "resume.pt"
    save_state(path, {"t": torch.ones(1000)})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CuratedRLError, match="resume.pt' cannot be read"):
        load_state(path)
    assert path.read_bytes() == raw[: len(raw) // 2]


def test_checkpoints_refuse_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"x": print}, path)  # a callable: needs unpickling code
    with pytest.raises(CuratedRLError, match="cannot be read"):
        load_state(path)


def test_ctrl_c_during_a_write_takes_effect_after_it(tmp_path):
    """An interrupt inside torch.save would leave a broken zip writer raising its own error
    (a traceback instead of the clean stop): the write finishes, then the interrupt is raised."""
    import os
    import signal

    import torch

    from curatedrl.fileio import atomic_write

    def write(f):
        os.kill(os.getpid(), signal.SIGINT)
        torch.save({"w": torch.ones(3)}, f)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            atomic_write(tmp_path / "state.pt", write, binary=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert torch.load(tmp_path / "state.pt")["w"].tolist() == [1.0, 1.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"]
