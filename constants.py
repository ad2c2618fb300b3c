"""Names the suite types in one place: env keys and their Gymnasium ids, dataset tiers and sizes,
and the default dataset. A root module with no imports, so that the CLI can build its argument
choices from it without loading torch or Minari."""

ENVS = {"hopper": "Hopper-v5", "halfcheetah": "HalfCheetah-v5", "walker2d": "Walker2d-v5"}
TIERS = ("random", "medium", "medium-replay", "expert", "medium-expert")
SIZES = {"full": 1_000_000, "small": 50_000, "tiny": 5_000}  # tiny: for tests
DEFAULT_DATASET = "curatedrl/hopper/medium-replay-v0"  # the embedded default (`make demo`)
