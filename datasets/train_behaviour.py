"""Training the behaviour policies with Stable-Baselines3 PPO (``make policies``).

D4RL and Minari recorded their locomotion data from policies trained with SAC; on the project's
2-core machines SAC needs ~5 hours per million steps, so the suite trains PPO with RL Baselines3
Zoo's tuned MuJoCo hyperparameters (observation and reward normalisation, 2×256 ReLU actor,
log-std initialised at −2), which runs a million steps in minutes on one core.

Every ``checkpoint_every`` steps the actor is exported (``behaviour.save_actor``) together with a
pickle-free resume state (policy and optimizer tensors, normalisation statistics, step count);
running the same command again continues from the last one. After training, every checkpoint is
evaluated (deterministic actions, ``eval_episodes`` episodes) and the policy card is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from curatedrl.constants import ENVS
from curatedrl.datasets.behaviour import (
    POLICY_DIR,
    BehaviourPolicy,
    checkpoint_name,
    env_dir,
    list_checkpoints,
    read_card,
    save_actor,
    write_card,
)
from curatedrl.datasets.versions import installed_versions
from curatedrl.envs.rollout import run_episodes
from curatedrl.errors import CuratedRLError
from curatedrl.provenance import hardware

_COMMON = {"n_steps": 512, "normalize_advantage": True}
# Walker2d and HalfCheetah: RL Baselines3 Zoo, hyperparams/ppo.yml (the *-v3 MuJoCo entries), with
# policy_kwargs = dict(log_std_init=-2, ortho_init=False, activation_fn=ReLU, 2x256 pi and vf).
# Hopper: the Zoo's entry (gamma 0.999, initial std e^-2) settled on standing still (return
# ~1,000 for 1M steps, seed 0; see docs/datasets.md), so Hopper uses Stable-Baselines3's PPO
# defaults, the settings of CleanRL's ppo_continuous_action (2x64 tanh, initial std 1).
PPO_HYPERPARAMS: dict[str, dict[str, Any]] = {
    "hopper": {"n_steps": 2048, "batch_size": 64, "gamma": 0.99, "learning_rate": 3e-4,
               "ent_coef": 0.0, "clip_range": 0.2, "n_epochs": 10, "gae_lambda": 0.95,
               "max_grad_norm": 0.5, "vf_coef": 0.5, "normalize_advantage": True},
    "halfcheetah": {**_COMMON, "batch_size": 64, "gamma": 0.98, "learning_rate": 2.0633e-05,
                    "ent_coef": 0.000401762, "clip_range": 0.1, "n_epochs": 20,
                    "gae_lambda": 0.92, "max_grad_norm": 0.8, "vf_coef": 0.58096},
    "walker2d": {**_COMMON, "batch_size": 32, "gamma": 0.99, "learning_rate": 5.05041e-05,
                 "ent_coef": 0.000585045, "clip_range": 0.1, "n_epochs": 20, "gae_lambda": 0.95,
                 "max_grad_norm": 1.0, "vf_coef": 0.871923},
}
ZOO_POLICY = {"log_std_init": -2.0, "ortho_init": False, "activation": "relu",
              "net_arch": [256, 256]}
POLICY_KWARGS: dict[str, dict[str, Any]] = {
    "hopper": {"log_std_init": 0.0, "ortho_init": True, "activation": "tanh", "net_arch": [64, 64]},
    "halfcheetah": ZOO_POLICY,
    "walker2d": ZOO_POLICY,
}
ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
RESUME_DIR = Path("runs") / "policies"


def _actor_tensors(model, venv) -> dict[str, torch.Tensor]:
    pi = model.policy.mlp_extractor.policy_net
    linears = [m for m in pi if isinstance(m, torch.nn.Linear)] + [model.policy.action_net]
    out = {"obs_mean": torch.as_tensor(venv.obs_rms.mean, dtype=torch.float32),
           "obs_var": torch.as_tensor(venv.obs_rms.var, dtype=torch.float32),
           "log_std": model.policy.log_std}
    for i, lin in enumerate(linears):
        out[f"layer{i}.weight"], out[f"layer{i}.bias"] = lin.weight, lin.bias
    return out


def _save_resume(path: Path, model, venv) -> None:
    path.mkdir(parents=True, exist_ok=True)
    tensors = {f"policy.{k}": v.detach().cpu().contiguous()
               for k, v in model.policy.state_dict().items()}
    stats = {"obs_rms.mean": venv.obs_rms.mean, "obs_rms.var": venv.obs_rms.var,
             "obs_rms.count": np.array([venv.obs_rms.count]),
             "ret_rms.mean": np.atleast_1d(venv.ret_rms.mean),
             "ret_rms.var": np.atleast_1d(venv.ret_rms.var),
             "ret_rms.count": np.array([venv.ret_rms.count]),
             "num_timesteps": np.array([model.num_timesteps], dtype=np.float64)}
    tensors.update({k: torch.as_tensor(np.asarray(v, dtype=np.float64)) for k, v in stats.items()})
    save_file(tensors, str(path / "state.tmp"))
    torch.save(model.policy.optimizer.state_dict(), path / "optimizer.tmp")
    (path / "state.tmp").replace(path / "state.safetensors")
    (path / "optimizer.tmp").replace(path / "optimizer.pt")


def _load_resume(path: Path, model, venv) -> int:
    t = load_file(str(path / "state.safetensors"))
    model.policy.load_state_dict({k[7:]: v for k, v in t.items() if k.startswith("policy.")})
    model.policy.optimizer.load_state_dict(torch.load(path / "optimizer.pt", weights_only=True))
    venv.obs_rms.mean, venv.obs_rms.var = t["obs_rms.mean"].numpy(), t["obs_rms.var"].numpy()
    venv.obs_rms.count = float(t["obs_rms.count"][0])
    venv.ret_rms.mean, venv.ret_rms.var = t["ret_rms.mean"].numpy(), t["ret_rms.var"].numpy()
    venv.ret_rms.count = float(t["ret_rms.count"][0])
    model.num_timesteps = int(t["num_timesteps"][0])
    return model.num_timesteps


def train(env_key: str, steps: int = 1_000_000, seed: int = 0, checkpoint_every: int = 25_000,
          out: Path = POLICY_DIR, progress: bool = True, run: str = "",
          overrides: dict[str, Any] | None = None) -> Path:
    """Train (or resume) PPO on ``env_key`` and export actor checkpoints under ``out/env_key``
    (``out/env_key/run`` for a separate run, e.g. ``replay``, with ``overrides`` of the
    hyperparameters)."""
    try:
        from stable_baselines3 import PPO
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.env_util import make_vec_env
        from stable_baselines3.common.vec_env import VecNormalize
    except ImportError:
        raise CuratedRLError("training behaviour policies needs Stable-Baselines3: "
                             "pip install -e '.[policies]'") from None
    if env_key not in ENVS:
        raise CuratedRLError(f"unknown env {env_key!r}; choose one of {', '.join(ENVS)}")
    env_id = ENVS[env_key]
    target = env_dir(env_key, out) / run
    target.mkdir(parents=True, exist_ok=True)
    resume = RESUME_DIR / env_key / run
    venv = VecNormalize(make_vec_env(env_id, n_envs=1, seed=seed))
    hp = {**PPO_HYPERPARAMS[env_key], **(overrides or {})}
    pk = POLICY_KWARGS[env_key]
    model = PPO("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, **hp,
                policy_kwargs={"log_std_init": pk["log_std_init"], "ortho_init": pk["ortho_init"],
                               "activation_fn": ACTIVATIONS[pk["activation"]],
                               "net_arch": {"pi": pk["net_arch"], "vf": pk["net_arch"]}})
    act = pk["activation"]
    done = _load_resume(resume, model, venv) if (resume / "state.safetensors").exists() else 0
    if done == 0:
        save_actor(target / checkpoint_name(0), _actor_tensors(model, venv), env_id, 0, act)
    card = read_card(env_key, out, run)
    card.setdefault("training", {}).update({
        "algorithm": "PPO (Stable-Baselines3)", "hyperparameters": hp, "policy": pk,
        "hyperparameter_source": "Stable-Baselines3 PPO defaults" if env_key == "hopper"
        else "RL Baselines3 Zoo hyperparams/ppo.yml", "seed": seed,
        "env_id": env_id, "checkpoint_every": checkpoint_every, "target_steps": steps,
    })
    start, start_step = time.time(), done
    bar = tqdm(total=steps, initial=done, desc=f"PPO {env_id}", unit="step", disable=not progress)

    class Checkpoints(BaseCallback):
        def _on_step(self) -> bool:
            bar.update(1)
            n = self.num_timesteps
            if n % checkpoint_every == 0 or n == steps:
                save_actor(target / checkpoint_name(n), _actor_tensors(model, venv), env_id, n,
                           act)
                _save_resume(resume, model, venv)
            return n < steps

    if done < steps:
        model.learn(total_timesteps=steps - done, callback=Checkpoints(),
                    reset_num_timesteps=False)
    bar.close()
    elapsed = time.time() - start
    card["training"].update({
        "steps_trained": int(model.num_timesteps),
        "last_session_seconds": round(elapsed, 1),
        "last_session_steps_per_second": round((model.num_timesteps - start_step)
                                               / max(elapsed, 1e-9), 1),
        "hardware": hardware(),
        "versions": installed_versions(),
    })
    write_card(env_key, card, out, run)
    venv.close()
    return target


def evaluate_checkpoints(env_key: str, episodes: int = 20, seed: int = 1_000_000,
                         out: Path = POLICY_DIR, progress: bool = True, run: str = ""
                         ) -> dict[str, Any]:
    """Evaluate every checkpoint (deterministic actions) and record the results in the card."""
    card = read_card(env_key, out, run)
    results = card.setdefault("checkpoints", {})
    paths = list_checkpoints(env_key, out, run)
    for path in tqdm(paths, desc=f"evaluate {env_key}", disable=not progress):
        if path.name in results and results[path.name]["episodes"] >= episodes:
            continue
        policy = BehaviourPolicy(path)
        res = run_episodes(policy.env_id, policy, episodes, seed, num_envs=10)
        results[path.name] = {"step": policy.step, "episodes": episodes,
                              "return_mean": float(res.returns.mean()),
                              "return_std": float(res.returns.std()),
                              "length_mean": float(res.lengths.mean())}
    best = max(results.items(), key=lambda kv: kv[1]["return_mean"])
    card["expert_checkpoint"] = best[0]
    card["evaluation"] = {"episodes": episodes, "seed": seed, "actions": "deterministic (mean)",
                          "versions": installed_versions()}
    write_card(env_key, card, out, run)
    return card


def train_replay(env_key: str, root: Path = POLICY_DIR, eval_episodes: int = 20,
                 progress: bool = True) -> dict[str, Any]:
    """Train (or resume) the replay run in chunks until a checkpoint reaches the medium return."""
    from curatedrl.datasets.policy_choice import choose_policies
    from curatedrl.datasets.replay_run import REPLAY_RUNS, RUN

    if env_key not in REPLAY_RUNS:
        raise CuratedRLError(f"no replay run is configured for {env_key!r} (its main run's stream "
                             f"is long enough); configured: {', '.join(REPLAY_RUNS)}")
    cfg = REPLAY_RUNS[env_key]
    main = choose_policies(env_key, root, replay_run=False)
    target = main.medium_return
    steps = cfg["chunk"]
    while True:
        train(env_key, steps=steps, seed=cfg["seed"], checkpoint_every=cfg["checkpoint_every"],
              out=root, progress=progress, run=RUN, overrides=cfg["overrides"])
        card = evaluate_checkpoints(env_key, episodes=eval_episodes, out=root, progress=progress,
                                    run=RUN)
        hits = sorted((v["step"], k) for k, v in card["checkpoints"].items()
                      if v["return_mean"] >= target)
        if hits or steps >= cfg["max_steps"]:
            break
        steps += cfg["chunk"]
    if not hits:
        raise CuratedRLError(f"{env_key} replay run did not reach the medium return {target:.1f} "
                             f"in {steps} steps; raise max_steps or the learning rate")
    reached = hits[0][1]
    for path in list_checkpoints(env_key, root, RUN):  # keep the stream up to medium only
        if card["checkpoints"][path.name]["step"] > hits[0][0]:
            path.unlink()
            del card["checkpoints"][path.name]
    hp = card["training"]
    hp["hyperparameter_source"] += f" with overrides {cfg['overrides']} (replay run)"
    card.update({"reached": reached, "target_return": target,
                 "target_checkpoint": f"../{main.medium.name}",
                 "purpose": "training stream of the medium-replay tier (datasets/replay_run.py)"})
    card.pop("expert_checkpoint", None)
    write_card(env_key, card, root, RUN)
    return card
