"""Evaluation: env factory from an env spec, vectorised rollouts, normalised score."""

from curatedrl.envs.factory import EnvSpec, env_dims, env_fn, make_env, make_kwargs
from curatedrl.envs.evaluate import (EVAL_KEYS, EvalResult, EvalSpec, evaluate,
                                     evaluation_record, normalized_score)
from curatedrl.envs.rollout import Episodes, run_episodes
