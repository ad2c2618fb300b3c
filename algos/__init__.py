"""Algorithms. ``ALGOS`` is the registry: adding one is a file, a line here and its configs."""

from curatedrl.algos.awac import AWAC
from curatedrl.algos.base import Algorithm, BaseConfig, config_from_dict
from curatedrl.algos.bc import BC
from curatedrl.algos.cql import CQL
from curatedrl.algos.filtered_bc import FilteredBC
from curatedrl.algos.iql import IQL
from curatedrl.algos.iw_bc import IWBC
from curatedrl.algos.iw_bc_q import IWBCQ
from curatedrl.algos.rebrac import ReBRAC
from curatedrl.algos.sft_q import SFTQ
from curatedrl.algos.td3_bc import TD3BC

ALGOS: dict[str, type[Algorithm]] = {
    "bc": BC,
    "filtered_bc": FilteredBC,
    "iw_bc": IWBC,
    "sft_q": SFTQ,
    "iw_bc_q": IWBCQ,
    "td3_bc": TD3BC,
    "iql": IQL,
    "cql": CQL,
    "awac": AWAC,
    "rebrac": ReBRAC,
}
