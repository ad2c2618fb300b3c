"""Evaluation: env factory from dataset metadata, vectorised rollouts, normalised score."""

from curatedrl.envs.factory import check_dataset_env, env_fn, make_env
from curatedrl.envs.evaluate import EvalResult, evaluate, normalized_score
from curatedrl.envs.rollout import Episodes, run_episodes
