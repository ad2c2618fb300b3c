"""Evaluation: env factory from an env spec, vectorised rollouts, normalised score."""

from curatedrl.envs.factory import EnvSpec, env_dims, env_fn, make_env
from curatedrl.envs.evaluate import EvalResult, EvalSpec, evaluate, normalized_score
from curatedrl.envs.rollout import Episodes, run_episodes
