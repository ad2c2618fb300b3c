"""Speed and fidelity figures (`make bench`, `curatedrl bench`) and the measurements behind the
schedules' approximations (k, the weight refresh)."""
