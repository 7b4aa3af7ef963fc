"""`make drill`: faults under steady load, the client's history, a checker (issue 9).

    make drill                                   # every fault, 30 requests/s
    make drill ARGS="--rate 50 --settle 30"
    .venv/bin/python deploy/drill --short        # one kill, the store away, SMTP away, poison

1. Its own Kafka and FerretDB (deploy/local/stack.sh under a state folder of the drill's
   own, on free ports: stopping them disturbs nobody), its own SMTP sink and SMS gateway
   (real servers in processes of their own), the relay and the services as processes
   (two instances of each consumer of the events topic: verification, notification and
   the dashboard, so that instance 0 can die mid-batch while instance 1 goes on;
   `--short` keeps one verification and no dashboard: layout.py).
2. Open-loop load at `--rate` (history.py): every request and every answer is kept.
3. Each fault in turn (faults.py), with recovery between: the pipeline must catch up.
4. Requests that got no answer (timeouts, refusals, cut connections) are sent again with
   the same request_id; then the checker (check.py) compares the history with the store,
   the topics, the SMTP sink and the SMS gateway, and exits non-zero on any violation.
5. A table on stdout; JSON and Markdown in docs/drills/ (report.py).
"""
