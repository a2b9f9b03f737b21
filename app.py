"""Entry point for `flask --app app` and WSGI servers."""

import gc

from guarantees import create_app

app = create_app()
# What starting made (the app, its templates, the models' metadata) lives as long as the process: out of the
# cyclic collector's sight, a full collection scans only what requests make instead of pausing tens of ms.
gc.freeze()
