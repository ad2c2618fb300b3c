"""Every bad input a user can give ``curatedrl train``, as data: each row appends its arguments
to BASE and names part of the one-line message the user must see. test_bad_inputs_train.py runs
them (in the workspace of bad_input_workspace.py) and renders them as the table in
docs/reliability.md."""

from __future__ import annotations

from dataclasses import dataclass

BASE = ("--algo bc --dataset {hopper} --out {runs}/new --steps 20 --batch-size 4 "
        "--eval-every 0 --final-eval-episodes 2")


@dataclass(frozen=True)
class Case:
    what: str  # the bad input, in words
    args: str  # appended to BASE (argparse keeps the last value of a repeated option)
    expect: str  # part of the message the user must see
    private_store: bool = False  # MINARI_DATASETS_PATH is the workspace's own store
    mask: tuple[str, str] | None = None  # (regex, replacement): what varies by machine, in docs
    needs_no_cuda: bool = False  # the case is bad input only on a machine without CUDA


CASES = [
    Case("unknown algorithm", "--algo iw-bc", "unknown algorithm 'iw-bc'; did you mean 'iw_bc'?"),
    Case("unknown config key", "--set learning_rate=0.01",
         "unknown config key 'learning_rate' for BCConfig; did you mean 'lr'?"),
    Case("unknown config key", "--algo iw_bc --set ref_step=100",
         "unknown config key 'ref_step' for IWBCConfig; did you mean 'ref_steps'?"),
    Case("value of the wrong type", "--set lr=fast", "config key 'lr' needs a float"),
    Case("value of the wrong type", "--set deterministic=maybe",
         "config key 'deterministic' needs a bool"),
    Case("zero steps", "--steps 0", "steps must be positive, got 0"),
    Case("negative steps", "--steps -100", "steps must be positive, got -100"),
    Case("zero learning rate", "--set lr=0", "lr must be positive, got 0.0"),
    Case("negative learning rate", "--algo iw_bc --set ref_lr=-1e-3",
         "ref_lr must be positive, got -0.001"),
    Case("percentile above 100", "--algo filtered_bc --set percentiles=[90,101]",
         "percentiles must lie in [0, 100], got 101.0"),
    Case("percentile below 0", "--algo iw_bc --set percentiles=[-5,90]",
         "percentiles must lie in [0, 100], got -5.0"),
    Case("negative steps per episode", "--algo iw_bc --set steps_per_episode=-8",
         "steps_per_episode must be >= 0, got -8"),
    Case("negative stage-1 steps per episode", "--algo filtered_bc --set ref_steps_per_episode=-1",
         "ref_steps_per_episode must be an int >= 0 (or null: as steps_per_episode), got -1"),
    Case("weight refresh interval of 0", "--algo iw_bc --set weight_refresh=0",
         "weight_refresh must be >= 1 (1: exact weights every step; R: log q refreshed every R "
         "steps), got 0"),
    Case("negative weight refresh interval", "--algo iw_bc_q --set weight_refresh=-5",
         "weight_refresh must be >= 1"),
    Case("negative BC steps per episode", "--set steps_per_episode=-2",
         "steps_per_episode must be >= 0, got -2"),
    Case("malformed dataset id", "--dataset hopper-medium", "malformed dataset id 'hopper-medium'"),
    Case("malformed dataset id", "--dataset 'curatedrl/hopper medium-v0'",
         "malformed dataset id"),
    Case("id that leaves the datasets directory", "--dataset ../../etc/passwd-v0",
         "malformed dataset id '../../etc/passwd-v0'"),
    Case("id that leaves the datasets directory", "--dataset curatedrl/../../../secret-v0",
         "malformed dataset id"),
    Case("absolute path as id", "--dataset /etc/hopper-v0",
         "malformed dataset id '/etc/hopper-v0'"),
    Case("truncated HDF5 file", "--dataset {data}/hopper-cut.hdf5",
         "is not a readable HDF5 file (OSError: Unable to synchronously open file (truncated"),
    Case("corrupted HDF5 file (damaged internals)", "--dataset {data}/hopper-damaged.hdf5",
         "is not a readable HDF5 file (RuntimeError:"),
    Case("corrupted HDF5 file (not HDF5 at all)", "--dataset {data}/hopper-text.hdf5",
         "file signature not found"),
    Case("truncated Minari dataset", "--dataset broken/hopper/cut-v0",
         "Minari dataset 'broken/hopper/cut-v0' cannot be read (OSError:", private_store=True),
    Case("Minari dataset with corrupt metadata", "--dataset broken/hopper/meta-v0",
         "data/metadata.json is missing or corrupt", private_store=True),
    Case("missing keys", "--dataset {data}/hopper-nokeys.hdf5", "lacks key(s) rewards, timeouts"),
    Case("arrays of different lengths", "--dataset {data}/hopper-lengths.hdf5",
         "observations has 30 rows but actions 30, rewards 29"),
    Case("NaN in the data", "--dataset {data}/hopper-nan.hdf5",
         "observations holds 1 NaN/inf value(s), first at step 3"),
    Case("inf in the data", "--dataset {data}/hopper-inf.hdf5",
         "rewards holds 2 NaN/inf value(s), first at step 7"),
    Case("observation size that does not match the env",
         "--dataset {data}/halfcheetah-obs11.hdf5",
         "observation size 11 does not match the evaluation env HalfCheetah-v4 "
         "(observation size 17)"),
    Case("action size that does not match the env", "--dataset {data}/hopper-act6.hdf5",
         "action size 6 does not match the evaluation env Hopper-v4 (action size 3)"),
    Case("filter that leaves zero episodes",
         "--algo filtered_bc --set filter=min_return --set min_return=1e6",
         "filter 'return>=1e+06' leaves zero episodes"),
    Case("rerun of a finished run with another config", "--out {runs}/finished --set lr=0.01",
         "already holds a finished run with another config (lr: 0.001 -> 0.01)"),
    Case("resuming an interrupted run with another config",
         "--out {runs}/interrupted --set lr=0.01",
         "holds a run with another config (lr: 0.001 -> 0.01)"),
    Case("resuming an interrupted run with another thread count",
         "--out {runs}/interrupted --threads 2",
         "was started with 1 torch thread(s), this command runs 2"),
    Case("torn final.json of a finished run", "--out {runs}/torn",
         "final.json is damaged (JSONDecodeError"),
    Case("final.json with a score of the wrong type", "--out {runs}/typed",
         "final.json is damaged (field 'normalized_score_last' must be a finite number or null "
         "(no reference scores), got 'n/a')"),
    Case("one changed byte in rows.jsonl of an interrupted run", "--out {runs}/damaged-rows",
         "rows.jsonl line 1 is damaged (unknown table 'met#ics'"),
    Case("a file where the run directory should be", "--out {data}/hopper-nan.hdf5/run",
         "hopper-nan.hdf5' is a file, not a folder"),
    Case("a run directory name longer than the filesystem allows", "--out {runs}/" + "x" * 300,
         "is 300 bytes long; this filesystem allows 255"),
    Case("a run directory path that loops through symbolic links", "--out {root}/loop/run",
         "loops through symbolic links"),
    Case("D4RL file with 0 rows", "--dataset {data}/hopper-empty.hdf5",
         "holds 0 steps (no episodes)"),
    Case("action outside the action space", "--dataset {data}/hopper-act5.hdf5",
         "1 action(s) lie outside the env's action space, first at step 4 (action 1 = 5"),
    Case("observation of absurd magnitude", "--dataset {data}/hopper-obs1e30.hdf5",
         "observations holds 1 value(s) beyond ±1e+06 (largest 1e+30)"),
    Case("reward of absurd magnitude", "--dataset {data}/hopper-rew3e38.hdf5",
         "rewards holds 1 value(s) beyond ±1e+06 (largest 3e+38)"),
    Case("byte-string observations", "--dataset {data}/hopper-bytes.hdf5",
         "observations holds byte-string values (dtype |S3); it must hold integer or "
         "floating-point numbers"),
    Case("complex observations", "--dataset {data}/hopper-complex.hdf5",
         "observations holds complex values (dtype complex64)"),
    Case("integer actions", "--dataset {data}/hopper-intact.hdf5",
         "actions holds integer values (dtype int64); it must hold floating-point numbers"),
    Case("terminal flags other than 0 and 1", "--dataset {data}/hopper-term2.hdf5",
         "terminals holds values other than 0 and 1"),
    Case("next observations of another width", "--dataset {data}/hopper-next12.hdf5",
         "next_observations has shape (30, 12), observations (30, 11); they must match"),
    Case("Minari episode with another observation width", "--dataset broken/hopper/width-v0",
         "dataset 'broken/hopper/width-v0': episode 1: observations has shape (13, 12), "
         "expected (13, 11)", private_store=True),
    Case("negative seed", "--seed -1", "seed must be an integer in [0, 4294967295]"),
    Case("seed beyond numpy's range", "--seed 18446744073709551616",
         "seed must be an integer in [0, 4294967295] (numpy's seed range), got "
         "18446744073709551616"),
    Case("a seed given twice", "--seed 0 --set seed=5",
         "--seed 0 and --set seed=5 disagree; give seed once"),
    Case("a device torch does not know", "--device tpu9",
         "device 'tpu9' is not a torch device this suite runs on"),
    Case("CUDA on a machine without it", "--device cuda",
         "device 'cuda': no CUDA device is available on this machine", needs_no_cuda=True),
    Case("a batch of episodes that cannot fit in memory", "--batch-size 1000000000",
         "batch_size 1000000000 cannot fit: one batch holds up to 48,000,000,000 rows, at "
         "least 143051.1 GiB", mask=(r"more than the [0-9.]+ GiB", "more than the <free> GiB")),
    Case("a batch of transitions that cannot fit in memory",
         "--algo td3_bc --batch-size 1000000000",
         "batch_size 1000000000 cannot fit: one batch holds up to 1,000,000,000 rows",
         mask=(r"more than the [0-9.]+ GiB", "more than the <free> GiB")),
    Case("an env for a Minari dataset", "--set env=bogus",
         "env 'bogus' names the env family of a D4RL-format file; 'test/hopper/random-v0' is "
         "a Minari dataset id"),
    Case("a YAML bomb in --set (277 bytes of nested aliases)", "--set 'lr=" + "{bomb}'",
         "--set lr: its anchors and aliases expand to more than 100000 values"),
    Case("a value of a nested type", "--set lr=[[1,2,3,4,5,6,7,8],[9]]",
         "config key 'lr' needs a float, got [[1, 2, 3, 4, 5, 6, ...], [9]]"),
    Case("resume.pt with a tampered step past the run's end", "--out {runs}/step-huge",
         "resume.pt is damaged (its step must be an integer in [1, 20] (the run's steps), got "
         "1000000000); delete the run directory"),
    Case("resume.pt with a negative step", "--out {runs}/step-negative",
         "resume.pt is damaged (its step must be an integer in [1, 20] (the run's steps), got "
         "-5)"),
    Case("resume.pt with a tensor of the wrong shape", "--out {runs}/wrong-shape",
         "resume.pt does not fit this run (RuntimeError: Error(s) in loading state_dict"),
    Case("a .lock planted as a symbolic link to another file", "--out {runs}/symlinked",
         "its lock file .lock is a symbolic link; a lock file is a plain file of its own"),
]
# 277 bytes: seven levels of nine aliases, 9**7 = 4.8 million values once expanded.
BOMB = "[" + ",".join(
    [f"&a0 [{','.join(['x'] * 9)}]"] +
    [f"&a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 7)]) + "]"
