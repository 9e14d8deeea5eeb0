"""What the tests share, imported as `support.<module>` (pytest puts `tests/` on the path):

* `shell`: the test IPython shell, whose `run_cell` re-raises what a cell raised.
* `waits`: bounded waits for a condition or a status.
* `servers`: a raw TCP server for faults no well-behaved HTTP server produces.
* `tls`: a throwaway certificate authority and an HTTPS server it signed.
* `clients`: `CML` clients that give up quickly.
* `rest`: plain HTTP calls to the local server as one user, and scratch projects, jobs, runs.
* `hostile`: raw JSON calls for the hostile-input tests and the rule every refusal follows.
* `listeners`: a poller listener that records, the run logs a client downloads, an idle job.
* `sandbox`: how a test's server confines workloads, skipping where bubblewrap cannot run.
* `swagger`: CML's Swagger spec as a judge of requests and answers.
* `generated_client`: the strict client generated from the spec (`cmlapi`).
* `lab`: JupyterLab on loopback for the browser tests.

`tests/conftest.py` turns them into fixtures.
"""
