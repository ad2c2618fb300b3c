"""`curatedrl bench --quick` runs every figure end to end on a tiny dataset."""

from curatedrl.algos.stacked import STACKED
from curatedrl.benchmarks.speed.bench import FIGURES, run_bench


def test_bench_quick_prints_one_line_per_figure_variant(hopper_random_id, capsys):
    lines = run_bench(quick=True, dataset=hopper_random_id)
    names = [line.split()[0] for line in lines]
    assert set(names) == set(FIGURES)
    assert names.count("iwbc") == 2 and names.count("seeds") == len(STACKED)
    assert names.count("sampled") == 3
    assert all("cores" in line for line in lines)
    assert capsys.readouterr().out.count("\n") == len(lines)
