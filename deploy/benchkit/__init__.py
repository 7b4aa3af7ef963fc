"""What every benchmark and the drill share: the machine a run was on (machine.py), a
process's CPU time and memory (process.py), percentiles (percentiles.py) and writing a
report as JSON and Markdown (reports.py). Measurements themselves stay in each bench."""
