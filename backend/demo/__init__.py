"""`flask --app backend demo`: the whole product on one laptop — sandboxes, backend, worker, live traffic."""
