"""The work behind runs, applications, model builds and deployments: one module per kind over
`base` (a thread per item walking CML's status machine); `supervisor.Supervisor` holds them."""
