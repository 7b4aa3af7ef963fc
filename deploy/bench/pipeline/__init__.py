"""`make bench-pipeline`: an open-loop, end-to-end benchmark of the whole pipeline.

    make bench-pipeline                                  # 25,50,100,200,400/s, 60 s each
    make bench-pipeline ARGS="--rates 5,10 --step-seconds 10 --fill 20000"
    .venv/bin/python deploy/bench/pipeline --only-rate 200 --fill 1000000

What it does, in one run (against the stack that JEMPUT_* points at, `make up`):

1. A fresh database (`jemput_bench_<random>`, dropped at the end unless `--keep`);
   `--fill N` preloads N sealed, chained events (fill.py), then the raw ceiling is taken:
   insert_many of event-shaped documents, batches of 100 (ceiling.py).
2. An SMTP sink in its own process (smtp_sink.py) writes down when each email arrives, and
   the bench reads its lines back (mailbox.py); the relay and the services run as
   subprocesses pointed at it, with a generated API key
   (`--instances N` of intake on consecutive ports, of verification and notification;
   `--relays` stays 1 unless asked, see services/relay/bootstrap.py); /health/ready on each.
3. A consumer of the events topic (its own group, from the end) notes decisions and
   counts each request's events (watcher.py).
4. Steps of open-loop HTTP load (load.py, aiohttp): request i leaves at t0 + i/rate
   whatever came back; after each step the pipeline drains (every accepted request emailed, or
   `--drain-timeout`). Per step: accepted/decided/emailed per second, errors, latencies,
   CPU per request of every process (FerretDB, Kafka, the bench and its SMTP sink
   included), peak RSS. Times that cross processes are wall-clock (time.time()).
5. Markdown on stdout; docs/bench/pipeline-<date>.json, .md and .png (report.py, plot.py).
"""
